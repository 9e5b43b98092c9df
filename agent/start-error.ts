/**
 * Why the agent could not start, naming the variable to fix and its value, so that the one log
 * line a supervisor shows before the restart says what to change.
 */

/** What kind of start failure: a bounded value, fit for a log field or a metric label. */
export type StartFailureReason =
  | 'port_in_use'
  | 'port_not_permitted'
  | 'host_not_available'
  | 'listen_failed'
  | 'ca_file_unreadable'
  | 'ca_file_invalid';

/** startAgent rejects with this when a resource the configuration names cannot be had. */
export class AgentStartError extends Error {
  /** The environment variable whose value could not be used, e.g. AGENT_PORT. */
  readonly variable: string;
  /** Its value as configured (never a secret: ports, hosts and file paths only). */
  readonly value: string;
  readonly reason: StartFailureReason;

  constructor(
    fields: { variable: string; value: string; reason: StartFailureReason; detail: string },
    options?: { cause?: unknown },
  ) {
    super(`${fields.variable}=${fields.value}: ${fields.detail}`, options);
    this.name = 'AgentStartError';
    this.variable = fields.variable;
    this.value = fields.value;
    this.reason = fields.reason;
  }
}

/** The start failure of a server that could not listen on host:port. */
export function listenFailure(err: unknown, host: string, port: number): AgentStartError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  const onPort = (reason: StartFailureReason, detail: string) =>
    new AgentStartError({ variable: 'AGENT_PORT', value: String(port), reason, detail }, { cause: err });
  const onHost = (detail: string) =>
    new AgentStartError(
      { variable: 'AGENT_HOST', value: host, reason: 'host_not_available', detail },
      { cause: err },
    );
  switch (code) {
    case 'EADDRINUSE':
      return onPort('port_in_use', `cannot listen on ${where}: the port is already in use (EADDRINUSE)`);
    case 'EACCES':
      return onPort(
        'port_not_permitted',
        `cannot listen on ${where}: not permitted (EACCES; ports below 1024 need privileges)`,
      );
    case 'EADDRNOTAVAIL':
      return onHost(`cannot listen on ${where}: not an address of this host (EADDRNOTAVAIL)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return onHost(`cannot listen on ${where}: the host name does not resolve (${code})`);
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return onPort('listen_failed', `cannot listen on ${where}: ${message}`);
    }
  }
}
