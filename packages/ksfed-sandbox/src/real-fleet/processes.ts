import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';

/** One process started by the fleet, with its log file. */
export interface FleetProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;
  /** True until the process exits. */
  alive(): boolean;
}

// A guard process: it reads "+PID", "-PID", "dir PATH" and "clear" lines on stdin; when stdin ends without a
// "clear" (the test process died, even by SIGKILL, and the pipe closed), it kills every PID still listed and
// removes the directory. It ignores SIGINT/SIGTERM so that a Ctrl-C of the whole process group cannot take it down
// before it has done that.
const WATCHDOG = `
const pids = new Set(); let dir = ''; let buf = '';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
process.stdin.on('data', (d) => {
  buf += d;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    if (line[0] === '+') pids.add(Number(line.slice(1)));
    else if (line[0] === '-') pids.delete(Number(line.slice(1)));
    else if (line.startsWith('dir ')) dir = line.slice(4);
    else if (line === 'clear') { pids.clear(); dir = ''; }
  }
});
process.stdin.on('end', () => {
  for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch {} }
  setTimeout(() => {
    if (dir) { try { require('fs').rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, pids.size ? 300 : 0);
});
`;

/**
 * The processes of one fleet. Every process is a direct child (not detached, same process group), its output goes
 * to a log file, and a small guard process kills whatever is still running when the test process dies without
 * calling `stopAll()`.
 */
export class Processes {
  private readonly procs: FleetProcess[] = [];
  private readonly watchdog: ChildProcess;

  constructor(workDirToRemove: string | undefined) {
    this.watchdog = spawn(process.execPath, ['-e', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: false });
    this.watchdog.unref();
    const stdin = this.watchdog.stdin as unknown as { unref?: () => void };
    stdin.unref?.();
    this.watchdog.stdin!.on('error', () => { /* the guard is gone: nothing left to tell it */ });
    if (workDirToRemove) this.tell(`dir ${workDirToRemove}`);
  }

  /** Starts `bin args...` with stdout and stderr appended to `logFile`. */
  public spawn(name: string, bin: string, args: string[], logFile: string): FleetProcess {
    const fd = fs.openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: false });
    } finally {
      fs.closeSync(fd);
    }
    let running = true;
    const exited = new Promise<string>((resolve) => {
      child.on('exit', (code, signal) => {
        running = false;
        if (child.pid) this.tell(`-${child.pid}`);
        resolve(signal ? `signal ${signal}` : `exit code ${code}`);
      });
      child.on('error', (e) => {
        running = false;
        resolve(`error ${e.message}`);
      });
    });
    if (child.pid) this.tell(`+${child.pid}`);
    const p: FleetProcess = { name, child, logFile, exited, alive: () => running };
    this.procs.push(p);
    return p;
  }

  /**
   * Stops the processes in groups, one group after the other (each group in parallel): SIGTERM, then SIGKILL
   * after `graceMs`. Processes in no group are stopped first.
   */
  public async stopAll(order: Array<(p: FleetProcess) => boolean>, graceMs = 10_000): Promise<void> {
    const remaining = new Set(this.procs);
    const groups: FleetProcess[][] = [];
    const inSomeGroup = (p: FleetProcess) => order.some((f) => f(p));
    groups.push([...remaining].filter((p) => !inSomeGroup(p)));
    for (const f of order) groups.push([...remaining].filter(f));
    for (const group of groups) {
      await Promise.all(group.map((p) => stopOne(p, graceMs)));
    }
    this.tell('clear');
    this.watchdog.stdin?.end();
  }

  private tell(line: string): void {
    const stdin = this.watchdog.stdin;
    if (stdin && !stdin.destroyed && stdin.writable) stdin.write(`${line}\n`);
  }
}

async function stopOne(p: FleetProcess, graceMs: number): Promise<void> {
  if (!p.alive()) return;
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (p.alive()) p.child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([p.exited, timeout]);
  await p.exited;
  clearTimeout(timer);
}

/** The last `lines` lines of a log file ('' when it cannot be read). */
export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}
