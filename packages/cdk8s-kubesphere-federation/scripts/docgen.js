// `npm run docgen`: API.md from the compiled assembly, like `jsii-docgen -o API.md`, except that the assemblies
// of cdk8s and constructs are looked up in the workspace's node_modules, where npm hoists them: jsii-docgen's
// command line looks under the package's own folder only, which has no node_modules in this workspace.
const fs = require('fs');
const path = require('path');
const { Documentation, Language } = require('jsii-docgen');

async function main() {
  const root = path.resolve(__dirname, '..');
  const docs = await Documentation.forProject(root, { assembliesDir: path.resolve(root, '..', '..', 'node_modules') });
  const markdown = await docs.toMarkdown({ language: Language.TYPESCRIPT, allSubmodules: true });
  fs.writeFileSync(path.join(root, 'API.md'), markdown.render());
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
