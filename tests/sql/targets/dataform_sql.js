#!/usr/bin/env node
// The SQL `dataform run` would execute for each table of a `dataform compile --json` result,
// rendered offline by the pinned Dataform CLI's own ExecutionSql class: the first run (table
// missing: pre-operations, CREATE TABLE … AS) and, for incremental tables, a later run (table
// present: pre-operations, MERGE). The columns of the existing table come from bqflat's
// manifest.json. Writes <gen>/bigquery/<table>.sql and <gen>/bigquery/incremental/<table>.sql,
// the layout the ZetaSQL harness reads.
//
//   node dataform_sql.js <compiled.json> <build dir> <gen dir>
//
// Exits 1 when the compiled graph has errors or a table bqflat built is missing from it.
const fs = require('fs');
const path = require('path');
const Module = require('module');

const [compiledFile, buildDir, genDir] = process.argv.slice(2);
const tools = path.resolve(__dirname, '../../../.tools/dataform');
const bundle = path.join(tools, 'node_modules', '@dataform', 'cli', 'bundle.js');
// The CLI bundle ends by running the CLI; load it with that call replaced by an export.
const source = fs.readFileSync(bundle, 'utf8').replace(/^#!.*\n/, '').replace(/^runCli\(\);\s*$/m, 'module.exports = { ExecutionSql, dataform };');
const m = new Module(bundle, module);
m.filename = bundle;
m.paths = Module._nodeModulePaths(path.dirname(bundle));
m._compile(source, bundle);
const { ExecutionSql, dataform } = m.exports;

const compiled = JSON.parse(fs.readFileSync(compiledFile, 'utf8'));
const errors = (compiled.graphErrors && compiled.graphErrors.compilationErrors) || [];
if (errors.length) {
  for (const e of errors) console.error(`dataform: ${e.fileName}: ${e.message}`);
  process.exit(1);
}
const manifest = JSON.parse(fs.readFileSync(path.join(buildDir, 'manifest.json'), 'utf8'));
const graph = dataform.CompiledGraph.fromObject(compiled);
const es = new ExecutionSql(graph.projectConfig, graph.dataformCoreVersion, () => 'bqflat_check');
fs.mkdirSync(path.join(genDir, 'bigquery', 'incremental'), { recursive: true });
let problems = 0;
let written = 0;
// Each first-run script with bqflat's description of its table (and the row key column the model
// adds when it merges on one): the harness checks the created columns and the key literals.
const artifacts = [];
// The base actions (definitions/bqflat/): what runs before the tables that ref them.
const BASE_DIR = 'definitions/bqflat/';
const bases = [];
let views = 0;
// bqflat describes each table once in its manifest (with the table's first file).
const described = new Map(manifest.artifacts.filter((e) => e.table).map((e) => [e.table.table, e.table]));
const definitions = manifest.artifacts.filter((e) => e.path.startsWith('dataform/definitions/') && !e.path.startsWith('dataform/definitions/sources/'));
for (const entry of definitions) {
  const fileName = entry.path.slice('dataform/'.length);
  const t = graph.tables.find((x) => x.fileName === fileName);
  if (!t) {
    console.error(`dataform: ${fileName} is not in the compiled graph`);
    problems++;
    continue;
  }
  const name = path.basename(fileName, '.sqlx');
  // The `;` on its own line: a statement may end in a comment.
  const script = (tasks) => tasks.build().map((task) => task.statement.trim() + '\n;').join('\n\n') + '\n';
  if (fileName.startsWith(BASE_DIR)) {
    // A base action: its columns are the ones its config documents, in order.
    const fields = ((t.actionDescriptor && t.actionDescriptor.columns) || []).map((c) => ({ name: c.path[0] }));
    fs.writeFileSync(path.join(genDir, 'bigquery', `${name}.sql`), script(es.publishTasks(t, {}, undefined)));
    const meta = dataform.TableMetadata.create({ type: dataform.TableMetadata.Type.TABLE, fields });
    fs.writeFileSync(path.join(genDir, 'bigquery', 'incremental', `${name}.sql`), script(es.publishTasks(t, {}, meta)));
    written += 2;
    const key = (x) => `${x.database}.${x.schema}.${x.name}`;
    bases.push({ name, relation: [t.target.database, t.target.schema, t.target.name], first: `bigquery/${name}.sql`, later: `bigquery/incremental/${name}.sql`,
      models: graph.tables.filter((x) => (x.dependencyTargets || []).some((d) => key(d) === key(t.target))).map((x) => x.target.name).sort() });
    continue;
  }
  const relation = `${t.target.database}.${t.target.schema}.${t.target.name}`;
  if (t.enumType === 'VIEW' || t.type === 'view') {
    // The view over an event's tables of every source: analyzed after the tables it reads.
    fs.writeFileSync(path.join(genDir, 'bigquery', `${name}.sql`), script(es.publishTasks(t, {}, undefined)));
    // README "Several properties" (and `plan`): Dataform drops a table that stands where the view goes.
    const overTable = script(es.publishTasks(t, {}, dataform.TableMetadata.create({ type: dataform.TableMetadata.Type.TABLE, fields: [] })));
    if (!/^drop table if exists /i.test(overTable.trim())) {
      console.error(`dataform: ${name}: the view over an existing table does not drop it first:\n${overTable.slice(0, 400)}`);
      problems++;
    }
    artifacts.push({ path: `bigquery/${name}.sql`, view: relation });
    written += 1;
    views += 1;
    continue;
  }
  const table = described.get(relation);
  if (!table) {
    console.error(`dataform: ${fileName} builds ${t.target.name}, which bqflat's manifest does not describe`);
    problems++;
    continue;
  }
  fs.writeFileSync(path.join(genDir, 'bigquery', `${name}.sql`), script(es.publishTasks(t, {}, undefined)));
  written++;
  // The model adds the row key column when the dedupe key needs one.
  const rowKey = 'bqflat_row_key';
  const own = table.columns.map((c) => c.name);
  const keys = new Set(t.uniqueKey || []);
  if ((t.query || '').includes(`AS ${rowKey}`)) keys.add(rowKey);
  const extra = [...keys].filter((k) => !own.includes(k)).map((k) => ({ name: k, type: 'STRING', source: '' }));
  artifacts.push({ path: `bigquery/${name}.sql`, table: { ...table, columns: table.columns.concat(extra) } });
  if (t.enumType === dataform.TableType.INCREMENTAL) {
    // The table as the first run made it: bqflat's columns, plus the row key column the model
    // adds when it merges on one.
    const names = table.columns.map((c) => c.name);
    for (const k of keys) if (!names.includes(k)) names.push(k);
    const fields = names.map((name) => ({ name }));
    const meta = dataform.TableMetadata.create({ type: dataform.TableMetadata.Type.TABLE, fields });
    fs.writeFileSync(path.join(genDir, 'bigquery', 'incremental', `${name}.sql`), script(es.publishTasks(t, {}, meta)));
    written++;
  }
}
// One run reads the export in the base actions only (tables with templates of the project's own
// read it themselves): which tables name a declared export in their query.
const exportNames = (graph.declarations || []).map((d) => `\`${d.target.database}.${d.target.schema}.${d.target.name}\``);
const readers = graph.tables.filter((t) => exportNames.some((e) => (t.query || '').includes(e))).map((t) => t.target.name).sort();
for (const t of graph.tables) {
  const deps = (t.dependencyTargets || []).map((d) => d.name);
  const base = t.fileName.startsWith(BASE_DIR);
  const readsBase = deps.filter((d) => bases.some((b) => b.name === d));
  if ((base && readsBase.length) || (!base && readsBase.length && readers.includes(t.target.name))) {
    console.error(`dataform: ${t.fileName} reads a base (${readsBase}) and the export`);
    problems++;
  }
}
// The assertions (uniqueKey, nonNull) query the built tables, after them.
const assertions = (graph.assertions || []).slice().sort((a, b) => a.target.name.localeCompare(b.target.name));
assertions.forEach((a, i) => {
  fs.writeFileSync(path.join(genDir, 'bigquery', 'incremental', `zz_assertion_${String(i).padStart(3, '0')}.sql`), a.query.trim() + ';\n');
});
fs.writeFileSync(path.join(genDir, 'bases.json'), JSON.stringify({ bases, export_readers: readers }, null, 1) + '\n');
if (!written) {
  console.error('dataform: no table scripts rendered');
  problems++;
}
fs.writeFileSync(path.join(genDir, 'manifest.json'), JSON.stringify({ artifacts }, null, 1) + '\n');
console.error(`dataform: ${graph.tables.length} tables compiled (${bases.length} base, ${views} views), ${written} run scripts rendered, ${assertions.length} assertions;` +
  ` tables reading the export: ${readers.join(', ') || 'none'}`);
process.exit(problems ? 1 : 0);
