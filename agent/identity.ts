/** Who this agent speaks for: the identity fields every heartbeat carries. */
import type { Heartbeat } from '../shared/heartbeat';
import type { AgentConfig } from './config';

/** The identity part of a heartbeat, in its wire (snake_case) form. */
export type AgentIdentity = Readonly<
  Pick<
    Heartbeat,
    'app' | 'component' | 'instance_id' | 'deployment_id' | 'version' | 'region' | 'pod_name' | 'node_name'
  >
>;

/** The identity the configuration names (AGENT_INSTANCE_ID, AGENT_APP, DEPLOYMENT_ID…). */
export function identityFromConfig(config: AgentConfig): AgentIdentity {
  return Object.freeze({
    app: config.app,
    component: config.component,
    instance_id: config.instanceId,
    deployment_id: config.deploymentId,
    version: config.version,
    region: config.region,
    pod_name: config.podName,
    node_name: config.nodeName,
  });
}
