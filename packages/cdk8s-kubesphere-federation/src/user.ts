import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { dnsLabelProblem, fail, suggestDnsLabel } from './_util';
import { Host } from './host';

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The users declared on each host. */
const USERS = new WeakMap<Host, User[]>();

/** Props of a KubeSphere user. */
export interface UserProps {
  /** The user name (a DNS-1123 label). */
  readonly name: string;
  /** The e-mail address; KubeSphere requires it and keeps it unique. */
  readonly email: string;
  /**
   * A bcrypt hash of the password (`$2a$`, `$2b$` or `$2y$`), e.g. from `htpasswd -nbBC 10 "" 'P4ssw0rd!' | cut -d: -f2`.
   * A plain password is refused: KubeSphere may copy it to the members before hashing it (facts §6).
   * @default - no password (log in through an identity provider)
   */
  readonly passwordHash?: string;
  /**
   * Display name.
   * @default - none
   */
  readonly displayName?: string;
  /**
   * Description.
   * @default - none
   */
  readonly description?: string;
  /**
   * Console language, e.g. `en` or `zh`.
   * @default - the console's default
   */
  readonly lang?: string;
}

/**
 * A KubeSphere user (`iam.kubesphere.io/v1alpha2` User), declared on the host; KubeSphere federates users to
 * every member.
 */
export class User extends Construct {
  /** The user name. */
  public readonly userName: string;
  /** The User object. */
  public readonly resource: ApiObject;
  /** @internal */
  public readonly _email: string;

  /**
   * A KubeSphere user, in the host's folder.
   * @param host the host (KubeSphere users live there)
   * @param id the construct id
   * @param props the user's name, email and password hash
   */
  constructor(host: Host, id: string, props: UserProps) {
    super(host, id);
    if (!Host.isHost(host)) fail(this, 'scope', String(host), 'users are declared on the host', 'create it with the Host as scope: new User(host, ...)');
    const problem = dnsLabelProblem(props.name);
    if (problem) fail(this, 'name', props.name, problem, `use a user name like "${suggestDnsLabel(props.name)}"`);
    if (!EMAIL.test(props.email ?? '')) fail(this, 'email', props.email, 'it is not an e-mail address', 'give the user\'s address, e.g. "alice@example.com"');
    if (props.passwordHash !== undefined && !BCRYPT.test(props.passwordHash)) {
      fail(this, 'passwordHash', '(hidden)', 'it is not a bcrypt hash, and a plain password must never be written to the output',
        'hash it with bcrypt (cost 4-31), e.g. `htpasswd -nbBC 10 "" \'<password>\' | cut -d: -f2`, and pass the $2a$/$2b$/$2y$ hash');
    }
    const users = USERS.get(host) ?? [];
    USERS.set(host, users);
    for (const other of users) {
      if (other.userName === props.name) fail(this, 'name', props.name, `user name already used by ${other.node.path}`, 'give every user their own name');
      if (other._email === props.email) fail(this, 'email', props.email, `e-mail already used by ${other.node.path}; KubeSphere keeps e-mails unique`, 'give every user their own address');
    }
    this.userName = props.name;
    this._email = props.email;
    this.resource = new ApiObject(this, 'Resource', {
      apiVersion: 'iam.kubesphere.io/v1alpha2',
      kind: 'User',
      metadata: {
        name: props.name,
        labels: { 'kubefed.io/managed': 'false' },
        ...(props.displayName || props.description
          ? { annotations: { ...(props.displayName ? { 'kubesphere.io/alias-name': props.displayName } : {}), ...(props.description ? { 'kubesphere.io/description': props.description } : {}) } }
          : {}),
      },
      spec: {
        email: props.email,
        ...(props.passwordHash ? { password: props.passwordHash } : {}),
        ...(props.lang ? { lang: props.lang } : {}),
        ...(props.displayName ? { displayName: props.displayName } : {}),
        ...(props.description ? { description: props.description } : {}),
      },
    });
    users.push(this);
  }

}
