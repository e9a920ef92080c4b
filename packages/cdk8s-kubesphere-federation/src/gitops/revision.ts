import { fail } from '../_util';

/** What a `GitRevision` names. */
export enum GitRevisionType {
  /** A branch: the engines follow its head. */
  BRANCH = 'branch',
  /** A tag. */
  TAG = 'tag',
  /** One commit, by its full SHA. */
  COMMIT = 'commit',
}

const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

function refProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(name)) return 'it holds a character Git refuses in a ref name (space, ~ ^ : ? * [ \\ or a control character)';
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return 'it holds "..", "@{" or "//", which Git refuses in a ref name';
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.') || name.endsWith('.lock')) {
    return 'a ref name cannot start with \'-\' or \'/\', nor end with \'/\', \'.\' or \'.lock\'';
  }
  return undefined;
}

/**
 * The Git revision the GitOps engine follows: a branch, a tag or a commit.
 */
export class GitRevision {
  /**
   * A branch, e.g. `main`: the engines deploy its head.
   * @param name the branch name
   */
  public static branch(name: string): GitRevision {
    const problem = refProblem(name);
    if (problem) fail('GitRevision.branch', 'name', name, problem, 'give a branch name such as "main" or "release/2024-06"');
    return new GitRevision(GitRevisionType.BRANCH, name);
  }

  /**
   * A tag, e.g. `fleet-v42`.
   * @param name the tag name
   */
  public static tag(name: string): GitRevision {
    const problem = refProblem(name);
    if (problem) fail('GitRevision.tag', 'name', name, problem, 'give a tag name such as "fleet-v42"');
    return new GitRevision(GitRevisionType.TAG, name);
  }

  /**
   * One commit, by its full SHA-1 (40) or SHA-256 (64) lowercase hex digest.
   * @param sha the full commit SHA
   */
  public static commit(sha: string): GitRevision {
    if (typeof sha !== 'string' || !COMMIT.test(sha)) {
      fail('GitRevision.commit', 'sha', sha, 'it is not a full commit SHA (40 or 64 lowercase hex digits)', 'give the full SHA, e.g. the output of `git rev-parse HEAD`');
    }
    return new GitRevision(GitRevisionType.COMMIT, sha);
  }

  /** What the revision names. */
  public readonly type: GitRevisionType;
  /** The branch name, tag name or commit SHA. */
  public readonly value: string;

  private constructor(type: GitRevisionType, value: string) {
    this.type = type;
    this.value = value;
  }
}
