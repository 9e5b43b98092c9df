/**
 * The concrete commands recommendations name. Two traps of the usual manual fix are avoided on
 * purpose: `instance_count` has minimum 1, so a component cannot be scaled to zero and back; and
 * an app update takes the WHOLE spec, so a spec holding one component deletes the others.
 */

/**
 * What commands name when the DigitalOcean app id is not known (the static source without
 * DO_APP_ID): a placeholder to fill in, never the aggregator's app name, which is no app id.
 */
export const UNKNOWN_APP_ID = '<app-id: see doctl apps list>';

/** Rolling restart of one component: replaces its instances one by one. */
export function restartCommand(appId: string, component: string): string {
  return (
    `doctl apps restart ${appId} --components ${component} ` +
    `(or POST /v2/apps/${appId}/restart {"components":["${component}"]})`
  );
}

/** A fresh deployment of the whole app from a clean build. */
export function freshDeployCommand(appId: string): string {
  return `doctl apps create-deployment ${appId} --force-rebuild`;
}

/** Changing a component's count: fetch the whole spec, edit it, send the whole spec back. */
export function specEditCommand(appId: string, component: string): string {
  return (
    `doctl apps spec get ${appId} > spec.yaml, edit instance_count of ${component}, ` +
    `doctl apps update ${appId} --spec spec.yaml (the update takes the whole spec)`
  );
}

/** The runtime logs of a component, where crashes show. */
export function runLogsCommand(appId: string, component: string): string {
  return `doctl apps logs ${appId} ${component} --type run`;
}

/** One deployment's state and progress. */
export function deploymentCommand(appId: string, deploymentId: string): string {
  return `doctl apps get-deployment ${appId} ${deploymentId}`;
}
