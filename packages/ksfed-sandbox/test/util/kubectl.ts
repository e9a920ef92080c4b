import { execFileSync } from 'child_process';

/** Whether kubectl is on the PATH (tests that run it are skipped, with a message, when it is not). */
export function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
