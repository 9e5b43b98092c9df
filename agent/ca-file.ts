/**
 * The check of NODE_EXTRA_CA_CERTS before the agent opens a TLS connection. Node reads that file
 * once at process start and, when it is missing or holds no certificate, only prints a warning:
 * the agent would then run with every TLS handshake to a private CA failing, and retry forever
 * while its instance looks dead. Refusing to start says what is wrong, once, where the
 * supervisor shows it.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AgentStartError } from './start-error';

const VARIABLE = 'NODE_EXTRA_CA_CERTS';
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Resolves when `file` can be read and every PEM block in it is a certificate; rejects otherwise. */
export async function checkExtraCaCertsFile(file: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new AgentStartError(
      {
        variable: VARIABLE,
        value: file,
        reason: 'ca_file_unreadable',
        detail: `cannot read the CA file (${code}); TLS connections to a private CA would all fail`,
      },
      { cause: err },
    );
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  const invalid = (detail: string, cause?: unknown) =>
    new AgentStartError({ variable: VARIABLE, value: file, reason: 'ca_file_invalid', detail }, { cause });
  if (blocks.length === 0)
    throw invalid('the CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw invalid(`certificate ${index + 1} of ${blocks.length} in the CA file does not parse`, err);
    }
  });
}
