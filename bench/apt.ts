// Programs the benchmarks run: whether one is installed, and installing Debian packages with
// apt-get when running as root (as `npm test` does for the test tools).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** apt-get may take minutes on a slow mirror. */
const INSTALL_TIMEOUT_MS = 600_000;

/** Whether `file args` runs and exits with 0. */
export async function hasProgram(file: string, args: readonly string[]): Promise<boolean> {
  try {
    await run(file, [...args]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs `packages` with apt-get, updating the package lists when the first try fails. Resolves
 * to undefined once installed, or to the reason it could not be.
 */
export async function aptInstall(
  packages: readonly string[],
  env: Record<string, string> = {},
): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return `${packages.join(' ')} missing and not running as root`;
  if (!(await hasProgram('apt-get', ['--version']))) return `${packages.join(' ')} missing and no apt-get`;
  console.log(`  installing ${packages.join(' ')} with apt-get`);
  const options = {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...env },
    timeout: INSTALL_TIMEOUT_MS,
  };
  const install = () => run('apt-get', ['install', '-y', ...packages], options);
  try {
    await install();
  } catch {
    try {
      await run('apt-get', ['update'], options);
      await install();
    } catch (err) {
      return `apt-get install failed: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return undefined;
}
