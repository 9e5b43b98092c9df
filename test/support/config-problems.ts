/** What a configuration loader refuses: the problems of its ConfigError. */
import { ConfigError } from '../../shared/config';

/** The problems `load(env)` lists; throws when it accepts the environment or fails otherwise. */
export function problemsOf<E>(load: (env: E) => unknown, env: E): readonly string[] {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
