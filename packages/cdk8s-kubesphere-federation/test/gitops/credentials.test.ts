import { GitOpsCredentials, GitOpsCredentialsMode } from '../../src';
import { describePlaceholder, secretKeyOf } from '../../src/gitops/credentials';

describe('GitOpsCredentials', () => {
  test('fromSecret renders ${KSFED_<ID>} and uses the ksfed-envsubst plugin with Argo CD', () => {
    const credentials = GitOpsCredentials.fromSecret({ secretName: 'ksfed-credentials' });
    expect(credentials).toMatchObject({ mode: GitOpsCredentialsMode.SECRET, source: 'ksfed-credentials', pluginName: 'ksfed-envsubst' });
    expect(credentials._render('kubeconfig/edge-1')).toBe('${KSFED_KUBECONFIG_EDGE_1}');
    expect(GitOpsCredentials.fromSecret({ secretName: 's', argoCdPluginName: 'envsubst.v2' }).pluginName).toBe('envsubst.v2');
  });

  test('argoCdVaultPlugin renders inline-path placeholders', () => {
    const credentials = GitOpsCredentials.argoCdVaultPlugin({ path: 'kv/data/platform/ksfed' });
    expect(credentials).toMatchObject({ mode: GitOpsCredentialsMode.VAULT_PLUGIN, source: 'kv/data/platform/ksfed', pluginName: 'argocd-vault-plugin' });
    expect(credentials._render('agent-token/branch-7')).toBe('<path:kv/data/platform/ksfed#KSFED_AGENT_TOKEN_BRANCH_7>');
  });

  test('keepPlaceholders renders the ksfed placeholder unchanged', () => {
    const credentials = GitOpsCredentials.keepPlaceholders();
    expect(credentials.mode).toBe(GitOpsCredentialsMode.KEEP);
    expect(credentials.pluginName).toBeUndefined();
    expect(credentials._render('jwt-secret')).toBe('{{ksfed:jwt-secret}}');
  });

  test('Secret keys: KSFED_ + the id upper-cased, every other character an underscore', () => {
    expect(secretKeyOf('jwt-secret')).toBe('KSFED_JWT_SECRET');
    expect(secretKeyOf('kubefed-webhook/tls.key')).toBe('KSFED_KUBEFED_WEBHOOK_TLS_KEY');
    expect(secretKeyOf('kubeconfig/edge--1')).toBe('KSFED_KUBECONFIG_EDGE__1');
    expect(secretKeyOf('kubeconfig/edge-1')).toMatch(/^[_A-Za-z][_A-Za-z0-9]*$/);
  });

  test('placeholder kinds: encoding and whether the value is a credential', () => {
    expect(describePlaceholder('kubeconfig/edge-1')).toMatchObject({ encoding: 'base64', secret: true });
    expect(describePlaceholder('jwt-secret')).toMatchObject({ encoding: 'raw', secret: true });
    expect(describePlaceholder('proxy-address')).toMatchObject({ encoding: 'raw', secret: false });
    expect(describePlaceholder('kubefed-webhook/ca.crt')).toMatchObject({ encoding: 'base64', secret: false });
    expect(describePlaceholder('kubefed-webhook/tls.key')).toMatchObject({ encoding: 'base64', secret: true });
    expect(describePlaceholder('something-new')).toMatchObject({ encoding: 'raw', secret: true, what: 'an apply-time value' });
  });

  test('validation', () => {
    expect(() => GitOpsCredentials.fromSecret({ secretName: 'Ksfed Credentials' })).toThrow(/^\[GitOpsCredentials\.fromSecret\] secretName "Ksfed Credentials": it is not a Secret name: it must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '\.'\. Fix: name the Secret you manage, e\.g\. "ksfed-credentials"$/);
    expect(() => GitOpsCredentials.fromSecret({ secretName: '' })).toThrow(/^\[GitOpsCredentials\.fromSecret\] secretName "": it is not a Secret name: it is empty/);
    expect(() => GitOpsCredentials.fromSecret({ secretName: 's', argoCdPluginName: 'My Plugin' })).toThrow(/^\[GitOpsCredentials\.fromSecret\] argoCdPluginName "My Plugin": it is not a plugin name \(lowercase letters, digits, '-' and '\.'\)\. Fix: omit it to use "ksfed-envsubst"$/);
    expect(() => GitOpsCredentials.argoCdVaultPlugin({ path: 'secret/data/a#b' })).toThrow(/^\[GitOpsCredentials\.argoCdVaultPlugin\] path "secret\/data\/a#b": it is not an argocd-vault-plugin secret path \(no leading '\/', no '#', '<', '>', '\|' or spaces\)\. Fix: give the path of the secret that holds the KSFED_\* keys, e\.g\. "secret\/data\/ksfed"$/);
    expect(() => GitOpsCredentials.argoCdVaultPlugin({ path: '/secret/data/ksfed' })).toThrow(/path "\/secret\/data\/ksfed": it is not an argocd-vault-plugin secret path/);
    expect(() => GitOpsCredentials.argoCdVaultPlugin({ path: 'secret/data/ksfed', pluginName: 'AVP' })).toThrow(/^\[GitOpsCredentials\.argoCdVaultPlugin\] pluginName "AVP": it is not a plugin name \(lowercase letters, digits, '-' and '\.'\)\. Fix: omit it to use "argocd-vault-plugin"$/);
  });
});
