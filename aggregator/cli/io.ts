/** What a CLI command may touch of the world: the environment, its output, and a person to ask. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** For commands that ask before changing anything (fix): a person can answer (stdin and stdout are a terminal). */
  readonly interactive?: boolean;
  /** Asks a question and resolves with the answer line. */
  readonly ask?: (question: string) => Promise<string>;
}
