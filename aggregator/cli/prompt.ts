/** Questions on the terminal the CLI runs in, for commands that ask before they change anything. */
import { createInterface } from 'node:readline';

/** Whether a person can answer (stdin and stdout are a terminal), and how to ask. */
export function terminalQuestions(): { interactive: boolean; ask: (question: string) => Promise<string> } {
  return {
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    ask: (question) =>
      new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        rl.question(question, (answer) => {
          rl.close();
          resolve(answer);
        });
        // Ctrl-D or a closed stdin is no consent.
        rl.once('close', () => resolve(''));
      }),
  };
}
