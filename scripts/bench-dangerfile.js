// The benchmark Dangerfile: the same checks as scripts/bench-pr-policy.toml (and the team
// Dangerfile in docs/examples/dangerfile.toml), for `danger ci` in scripts/bench_pr.sh.
const body = danger.github.pr.body || "";
const files = [...danger.git.modified_files, ...danger.git.created_files];
const docs = [/^README\.md$/, /^docs\//];
for (const f of files.filter((f) => f.endsWith(".md"))) {
  if (!docs.some((r) => r.test(f))) fail(`Markdown outside the docs allow-list: ${f}`);
}
if (!/Fixes #\d+/i.test(body)) fail("Link the issue: Fixes #<issue>");
const declared = body.match(/Allowed paths:\s*(.+)/i);
if (!declared) {
  warn("No 'Allowed paths:' line in the PR description");
} else {
  const globs = declared[1].trim().split(/[\s,]+/).map((g) => new RegExp("^" + g.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\u0000").replace(/\*/g, "[^/]*").replace(/\u0000/g, ".*") + "$"));
  for (const f of files) if (!globs.some((g) => g.test(f))) fail(`File outside Allowed paths: ${f}`);
}
const appChanged = files.some((f) => f.startsWith("app/"));
const testsChanged = files.some((f) => /\.test\.ts$/.test(f));
if (appChanged && !testsChanged) warn("App code changed but no tests changed");
const dod = body.split(/^## Definition of Done/m)[1] || "";
if (/- \[ \]/.test(dod)) fail("Definition of Done has unchecked items");
