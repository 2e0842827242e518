#!/usr/bin/env node
// Tier 1 SQL conformance: every statement of every generated BigQuery script is checked by
// Google's GoogleSQL frontend (the ZetaSQL analyzer, run as a local gRPC server).
//
// Usage (run.sh does all of this): node check.js --port PORT --plan PLAN.tsv --negative DIR
//   PLAN.tsv lines: kind<TAB>label<TAB>project_dir<TAB>build_dir<TAB>expected_message<TAB>config
//   (config: the project's bqflat.yaml, or the original tool's config.yaml)
//   kind is `positive` (every check must pass) or `mutation` (a deliberately broken template:
//   some check must fail with expected_message).
//
// For each script: the whole file is parsed as a script (DECLARE, SET, IF, WHILE, BEGIN ...
// EXCEPTION ... END, transactions), then the script is walked statement by statement:
//   - SQL statements (queries, DDL, DML, BEGIN/COMMIT/ROLLBACK TRANSACTION) are analyzed as
//     statements against a catalog of the GA4 source table, the tables created so far by this
//     script (and by the project's _setup.sql), and the declared script variables (catalog
//     constants, which name resolution finds after columns, like BigQuery variables);
//   - script statements the analyzer has no statement form for are not analyzed as statements;
//     their expressions are: DECLARE (type and DEFAULT, assignable to the type), SET (assignable
//     to the variable's type), IF/ELSEIF/WHILE conditions (BOOL), RAISE messages (STRING);
//     their bodies are walked.
//   - tables created by CREATE TABLE (column list or AS SELECT) are registered with the column
//     types the analyzer resolved, and compared with the columns manifest.json declares.
'use strict';

const fs = require('fs');
const path = require('path');

const HERE = __dirname;
const REPO = path.resolve(HERE, '../../..');
const TOOLS = path.join(REPO, '.tools/zetasql/node_modules');
const PROTOS = path.join(TOOLS, '@fivetrandevelopers/zetasql/lib/zetasql/protos');
// The first run of a dbt or Dataform base model (tests/sql/targets/): the tables it creates exist
// for the first runs of the models that read it.
const BASE_PREFIX = 'bqflat_base__';

// ---------------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    a[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['port', 'plan', 'negative']) if (!a[k]) throw new Error(`missing --${k}`);
  return a;
}

// ---------------------------------------------------------------------------------------------
// gRPC client

function connect(port) {
  const grpc = require(path.join(TOOLS, '@grpc/grpc-js'));
  const protoLoader = require(path.join(TOOLS, '@grpc/proto-loader'));
  const def = protoLoader.loadSync('local_service.proto', {
    includeDirs: [PROTOS], keepCase: true, oneofs: true, enums: String, longs: Number, defaults: false,
  });
  const proto = grpc.loadPackageDefinition(def);
  const client = new proto.zetasql.local_service.ZetaSqlLocalService(
    `127.0.0.1:${port}`, grpc.credentials.createInsecure(),
    { 'grpc.max_send_message_length': 256 << 20, 'grpc.max_receive_message_length': 256 << 20 });
  const call = (method, req) => new Promise((resolve, reject) => {
    client[method](req, { deadline: Date.now() + 60000 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
  return { call, close: () => client.close(), UNAVAILABLE: grpc.status.UNAVAILABLE };
}

async function waitReady(rpc) {
  const until = Date.now() + 30000;
  for (;;) {
    try {
      await rpc.call('GetLanguageOptions', { maximum_features: false });
      return;
    } catch (e) {
      if (e.code !== rpc.UNAVAILABLE && e.code !== 4 /* DEADLINE_EXCEEDED */) throw e;
      if (Date.now() > until) throw new Error('ZetaSQL server did not become ready within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Language: GoogleSQL as BigQuery speaks it (external product mode: FLOAT64, no unsigned or
// proto types), the features BigQuery supports that matter for scripts like ours, and the
// statement kinds BigQuery runs. Features BigQuery lacks (array equality, CONCAT of mixed types,
// DATE + INT64 arithmetic, ...) stay off so that using them fails here too.

const FEATURES = [
  'FEATURE_ANALYTIC_FUNCTIONS', 'FEATURE_TABLESAMPLE', 'FEATURE_DISALLOW_GROUP_BY_FLOAT',
  'FEATURE_DML_UPDATE_WITH_JOIN', 'FEATURE_TABLE_VALUED_FUNCTIONS', 'FEATURE_CREATE_AGGREGATE_FUNCTION',
  'FEATURE_CREATE_TABLE_FUNCTION', 'FEATURE_GROUP_BY_ROLLUP', 'FEATURE_TEMPLATE_FUNCTIONS',
  'FEATURE_CREATE_TABLE_PARTITION_BY', 'FEATURE_CREATE_TABLE_CLUSTER_BY', 'FEATURE_NUMERIC_TYPE',
  'FEATURE_CREATE_TABLE_NOT_NULL', 'FEATURE_CREATE_TABLE_FIELD_ANNOTATIONS',
  'FEATURE_CREATE_TABLE_AS_SELECT_COLUMN_LIST', 'FEATURE_ENCRYPTION', 'FEATURE_GEOGRAPHY',
  'FEATURE_NAMED_ARGUMENTS', 'FEATURE_CREATE_MATERIALIZED_VIEW_PARTITION_BY',
  'FEATURE_CREATE_MATERIALIZED_VIEW_CLUSTER_BY', 'FEATURE_UNENFORCED_PRIMARY_KEYS',
  'FEATURE_BIGNUMERIC_TYPE', 'FEATURE_JSON_TYPE', 'FEATURE_JSON_ARRAY_FUNCTIONS',
  'FEATURE_JSON_VALUE_EXTRACTION_FUNCTIONS', 'FEATURE_JSON_LAX_VALUE_EXTRACTION_FUNCTIONS',
  'FEATURE_JSON_CONSTRUCTOR_FUNCTIONS', 'FEATURE_JSON_MUTATOR_FUNCTIONS', 'FEATURE_INTERVAL_TYPE',
  'FEATURE_PARAMETERIZED_TYPES', 'FEATURE_CREATE_TABLE_LIKE', 'FEATURE_CREATE_VIEW_WITH_COLUMN_LIST',
  'FEATURE_CREATE_TABLE_CLONE', 'FEATURE_CREATE_SNAPSHOT_TABLE', 'FEATURE_CREATE_TABLE_COPY',
  'FEATURE_ALTER_TABLE_RENAME_COLUMN', 'FEATURE_ALTER_COLUMN_SET_DATA_TYPE', 'FEATURE_RANGE_TYPE',
  'FEATURE_ROUND_WITH_ROUNDING_MODE', 'FEATURE_CBRT_FUNCTIONS', 'FEATURE_INVERSE_TRIG_FUNCTIONS',
  'FEATURE_V_1_1_ORDER_BY_COLLATE', 'FEATURE_V_1_1_SELECT_STAR_EXCEPT_REPLACE',
  'FEATURE_V_1_1_ORDER_BY_IN_AGGREGATE', 'FEATURE_V_1_1_CAST_DIFFERENT_ARRAY_TYPES',
  'FEATURE_V_1_1_LIMIT_IN_AGGREGATE', 'FEATURE_V_1_1_HAVING_IN_AGGREGATE',
  'FEATURE_V_1_1_NULL_HANDLING_MODIFIER_IN_ANALYTIC', 'FEATURE_V_1_1_NULL_HANDLING_MODIFIER_IN_AGGREGATE',
  'FEATURE_V_1_1_FOR_SYSTEM_TIME_AS_OF', 'FEATURE_V_1_2_CIVIL_TIME', 'FEATURE_V_1_2_SAFE_FUNCTION_CALL',
  'FEATURE_V_1_2_WEEK_WITH_WEEKDAY', 'FEATURE_V_1_2_CORRELATED_REFS_IN_NESTED_DML',
  'FEATURE_V_1_3_OMIT_INSERT_COLUMN_LIST', 'FEATURE_V_1_3_NULLS_FIRST_LAST_IN_ORDER_BY',
  'FEATURE_V_1_3_ALLOW_DASHES_IN_TABLE_NAME', 'FEATURE_V_1_3_WITH_RECURSIVE', 'FEATURE_V_1_3_DECIMAL_ALIAS',
  'FEATURE_V_1_3_DATE_TIME_CONSTRUCTORS', 'FEATURE_V_1_3_ADDITIONAL_STRING_FUNCTIONS',
  'FEATURE_V_1_3_EXTENDED_DATE_TIME_SIGNATURES', 'FEATURE_V_1_3_EXTENDED_GEOGRAPHY_PARSERS',
  'FEATURE_V_1_3_PIVOT', 'FEATURE_V_1_3_UNPIVOT', 'FEATURE_V_1_3_ANNOTATION_FRAMEWORK',
  'FEATURE_V_1_3_COLLATION_SUPPORT', 'FEATURE_V_1_3_IS_DISTINCT', 'FEATURE_V_1_3_FORMAT_IN_CAST',
  'FEATURE_V_1_3_QUALIFY', 'FEATURE_V_1_3_REPEAT', 'FEATURE_V_1_3_COLUMN_DEFAULT_VALUE',
  'FEATURE_V_1_3_FOR_IN', 'FEATURE_V_1_3_LIKE_ANY_SOME_ALL', 'FEATURE_V_1_3_CASE_STMT',
  'FEATURE_V_1_3_SCRIPT_LABEL', 'FEATURE_V_1_3_REMOTE_FUNCTION', 'FEATURE_V_1_4_GROUPING_SETS',
  'FEATURE_V_1_4_GROUPING_BUILTIN',
];

const STATEMENT_KINDS = [
  'RESOLVED_QUERY_STMT', 'RESOLVED_CREATE_SCHEMA_STMT', 'RESOLVED_CREATE_TABLE_STMT',
  'RESOLVED_CREATE_TABLE_AS_SELECT_STMT', 'RESOLVED_CREATE_VIEW_STMT', 'RESOLVED_CREATE_MATERIALIZED_VIEW_STMT',
  'RESOLVED_CREATE_FUNCTION_STMT', 'RESOLVED_CREATE_TABLE_FUNCTION_STMT', 'RESOLVED_CREATE_PROCEDURE_STMT',
  'RESOLVED_CREATE_SNAPSHOT_TABLE_STMT', 'RESOLVED_CREATE_EXTERNAL_TABLE_STMT', 'RESOLVED_EXPORT_DATA_STMT',
  'RESOLVED_BEGIN_STMT', 'RESOLVED_COMMIT_STMT', 'RESOLVED_ROLLBACK_STMT', 'RESOLVED_DROP_STMT',
  'RESOLVED_DROP_MATERIALIZED_VIEW_STMT', 'RESOLVED_DROP_FUNCTION_STMT', 'RESOLVED_DROP_SNAPSHOT_TABLE_STMT',
  'RESOLVED_ASSERT_STMT', 'RESOLVED_INSERT_STMT', 'RESOLVED_DELETE_STMT', 'RESOLVED_UPDATE_STMT',
  'RESOLVED_MERGE_STMT', 'RESOLVED_TRUNCATE_STMT', 'RESOLVED_ALTER_TABLE_STMT', 'RESOLVED_ALTER_SCHEMA_STMT',
  'RESOLVED_ALTER_VIEW_STMT', 'RESOLVED_ALTER_TABLE_SET_OPTIONS_STMT', 'RESOLVED_CALL_STMT',
  'RESOLVED_EXECUTE_IMMEDIATE_STMT', 'RESOLVED_ASSIGNMENT_STMT',
];

const LANGUAGE = {
  name_resolution_mode: 'NAME_RESOLUTION_DEFAULT',
  product_mode: 'PRODUCT_EXTERNAL',
  enabled_language_features: FEATURES,
  supported_statement_kinds: STATEMENT_KINDS,
};

const T = (kind) => ({ type_kind: kind });
const ARRAY = (el) => ({ type_kind: 'TYPE_ARRAY', array_type: { element_type: el } });
const STRUCT = (fields) => ({ type_kind: 'TYPE_STRUCT', struct_type: { field: fields.map(([n, t]) => ({ field_name: n, field_type: t })) } });
const KEY_VALUE_LIST = ARRAY(STRUCT([['', T('TYPE_STRING')], ['', T('TYPE_STRING')]]));

// OPTIONS (...) names BigQuery accepts on tables, columns and datasets, with their types.
// Unknown names are errors, like in BigQuery.
const OPTIONS = [
  ['description', T('TYPE_STRING')], ['friendly_name', T('TYPE_STRING')], ['labels', KEY_VALUE_LIST],
  ['tags', KEY_VALUE_LIST], ['expiration_timestamp', T('TYPE_TIMESTAMP')],
  ['partition_expiration_days', T('TYPE_DOUBLE')], ['require_partition_filter', T('TYPE_BOOL')],
  ['kms_key_name', T('TYPE_STRING')], ['default_rounding_mode', T('TYPE_STRING')],
  ['rounding_mode', T('TYPE_STRING')], ['enable_change_history', T('TYPE_BOOL')],
  ['max_staleness', T('TYPE_INTERVAL')], ['enable_fine_grained_mutations', T('TYPE_BOOL')],
  ['default_kms_key_name', T('TYPE_STRING')], ['default_partition_expiration_days', T('TYPE_DOUBLE')],
  ['default_table_expiration_days', T('TYPE_DOUBLE')], ['is_case_insensitive', T('TYPE_BOOL')],
  ['location', T('TYPE_STRING')], ['max_time_travel_hours', T('TYPE_INT64')],
  ['storage_billing_model', T('TYPE_STRING')],
];

// BigQuery's system variables. @@error.* exist only inside an exception handler.
const SYSTEM_VARIABLES = [
  [['current_job_id'], T('TYPE_STRING')], [['dataset_id'], T('TYPE_STRING')],
  [['dataset_project_id'], T('TYPE_STRING')], [['last_job_id'], T('TYPE_STRING')],
  [['location'], T('TYPE_STRING')], [['project_id'], T('TYPE_STRING')], [['query_label'], T('TYPE_STRING')],
  [['reservation'], T('TYPE_STRING')], [['row_count'], T('TYPE_INT64')], [['session_id'], T('TYPE_STRING')],
  [['time_zone'], T('TYPE_STRING')], [['script', 'bytes_billed'], T('TYPE_INT64')],
  [['script', 'bytes_processed'], T('TYPE_INT64')], [['script', 'creation_time'], T('TYPE_TIMESTAMP')],
  [['script', 'job_id'], T('TYPE_STRING')], [['script', 'num_child_jobs'], T('TYPE_INT64')],
  [['script', 'slot_ms'], T('TYPE_INT64')],
];
const ERROR_SYSTEM_VARIABLES = [
  [['error', 'message'], T('TYPE_STRING')], [['error', 'statement_text'], T('TYPE_STRING')],
  [['error', 'formatted_stack_trace'], T('TYPE_STRING')],
  [['error', 'stack_trace'], ARRAY(STRUCT([['line', T('TYPE_INT64')], ['column', T('TYPE_INT64')],
    ['filename', T('TYPE_STRING')], ['location', T('TYPE_STRING')]]))],
];

function analyzerOptions(extra) {
  return Object.assign({
    language_options: LANGUAGE,
    error_message_mode: 'ERROR_MESSAGE_ONE_LINE',
    default_timezone: 'UTC',
    allowed_hints_and_options: {
      disallow_unknown_options: true,
      option: OPTIONS.map(([name, type]) => ({ name, type })),
    },
  }, extra || {});
}

// ---------------------------------------------------------------------------------------------
// Types

const BQ_SCALAR = {
  STRING: 'TYPE_STRING', BYTES: 'TYPE_BYTES', INTEGER: 'TYPE_INT64', INT64: 'TYPE_INT64',
  FLOAT: 'TYPE_DOUBLE', FLOAT64: 'TYPE_DOUBLE', BOOLEAN: 'TYPE_BOOL', BOOL: 'TYPE_BOOL',
  TIMESTAMP: 'TYPE_TIMESTAMP', DATE: 'TYPE_DATE', TIME: 'TYPE_TIME', DATETIME: 'TYPE_DATETIME',
  NUMERIC: 'TYPE_NUMERIC', BIGNUMERIC: 'TYPE_BIGNUMERIC', GEOGRAPHY: 'TYPE_GEOGRAPHY', JSON: 'TYPE_JSON',
  INTERVAL: 'TYPE_INTERVAL',
};

// One field of a BigQuery JSON schema → TypeProto (RECORD → STRUCT, REPEATED → ARRAY).
function typeOfSchemaField(f) {
  let t;
  const ty = String(f.type).toUpperCase();
  if (ty === 'RECORD' || ty === 'STRUCT') t = STRUCT(f.fields.map((g) => [g.name, typeOfSchemaField(g)]));
  else if (BQ_SCALAR[ty]) t = T(BQ_SCALAR[ty]);
  else throw new Error(`unsupported type ${f.type} of field ${f.name} in the GA4 schema`);
  return String(f.mode || '').toUpperCase() === 'REPEATED' ? ARRAY(t) : t;
}

const TYPE_NAME = {
  TYPE_INT64: 'INT64', TYPE_DOUBLE: 'FLOAT64', TYPE_BOOL: 'BOOL', TYPE_STRING: 'STRING', TYPE_BYTES: 'BYTES',
  TYPE_DATE: 'DATE', TYPE_TIMESTAMP: 'TIMESTAMP', TYPE_TIME: 'TIME', TYPE_DATETIME: 'DATETIME',
  TYPE_NUMERIC: 'NUMERIC', TYPE_BIGNUMERIC: 'BIGNUMERIC', TYPE_GEOGRAPHY: 'GEOGRAPHY', TYPE_JSON: 'JSON',
  TYPE_INTERVAL: 'INTERVAL',
};

// TypeProto → BigQuery type text, in the format of manifest.json.
function typeText(t) {
  if (t.type_kind === 'TYPE_ARRAY') return `ARRAY<${typeText(t.array_type.element_type)}>`;
  if (t.type_kind === 'TYPE_STRUCT') {
    return `STRUCT<${(t.struct_type.field || []).map((f) => (f.field_name ? `${f.field_name} ` : '') + typeText(f.field_type)).join(', ')}>`;
  }
  return TYPE_NAME[t.type_kind] || t.type_kind;
}

// ---------------------------------------------------------------------------------------------
// Proto tree helpers. With `oneofs: true` every Any*Proto carries the name of its set field
// in `node`; abstract classes nest (AnyASTStatement → AnyASTScriptStatement → ASTIfStatement).

function unwrap(o) {
  let kind = null;
  while (o && typeof o === 'object' && typeof o.node === 'string' && o[o.node]) {
    kind = o.node;
    o = o[o.node];
  }
  return [kind, o];
}

function locationOf(o) {
  while (o) {
    if (o.parse_location_range) return o.parse_location_range;
    o = o.parent;
  }
  return null;
}

function findField(o, name) {
  while (o) {
    if (o[name] !== undefined) return o[name];
    o = o.parent;
  }
  return undefined;
}

// The permanent tables a resolved statement scans, lower case (each once).
function scannedTables(o, out = new Set()) {
  if (Array.isArray(o)) {
    for (const x of o) scannedTables(x, out);
  } else if (o && typeof o === 'object') {
    const t = o.table;
    const name = t && typeof t === 'object' && (t.full_name || t.name);
    if (typeof name === 'string' && Array.isArray(o.column_index_list)) out.add(name.toLowerCase());
    for (const [k, v] of Object.entries(o)) if (k !== 'table') scannedTables(v, out);
  }
  return out;
}

const pretty = (kind) => (kind || '?').replace(/^(ast|resolved)_/, '').replace(/_node$/, '').replace(/_/g, ' ');

// ---------------------------------------------------------------------------------------------
// Source text: byte offsets (the analyzer's) ↔ lines and columns.

class Source {
  constructor(file, label, text) {
    this.file = file;
    this.label = label;
    this.buf = Buffer.from(text, 'utf8');
    this.text = text;
    this.lineStarts = [0];
    for (let i = 0; i < this.buf.length; i++) if (this.buf[i] === 10) this.lineStarts.push(i + 1);
  }

  slice(start, end) { return this.buf.subarray(start, end).toString('utf8'); }

  // 1-based line and character column of a byte offset.
  position(offset) {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    const col = this.buf.subarray(this.lineStarts[lo], offset).toString('utf8').length + 1;
    return { line: lo + 1, col };
  }

  lineText(line) {
    const s = this.lineStarts[line - 1];
    const e = line < this.lineStarts.length ? this.lineStarts[line] - 1 : this.buf.length;
    return this.buf.subarray(s, e).toString('utf8').replace(/\r$/, '');
  }
}

// ---------------------------------------------------------------------------------------------
// BigQuery's INFORMATION_SCHEMA views the scripts read, dataset-qualified
// (`project.dataset.INFORMATION_SCHEMA.TABLES`), with the columns and types BigQuery documents:
// https://cloud.google.com/bigquery/docs/information-schema-tables (schema table) and
// https://cloud.google.com/bigquery/docs/information-schema-partitions (schema table).
// Every dataset the catalog holds a table of (the GA4 source, the target and metadata datasets,
// whatever a script creates) gets both views; a view of any other dataset is an unknown table.

const S = T('TYPE_STRING');
const TS = T('TYPE_TIMESTAMP');
const INFORMATION_SCHEMA_VIEWS = {
  TABLES: [
    ['table_catalog', S], ['table_schema', S], ['table_name', S], ['table_type', S],
    ['managed_table_type', S], ['is_insertable_into', S], ['is_fine_grained_mutations_enabled', S],
    ['is_typed', S], ['is_change_history_enabled', S], ['creation_time', TS],
    ['base_table_catalog', S], ['base_table_schema', S], ['base_table_name', S], ['snapshot_time_ms', TS],
    ['replica_source_catalog', S], ['replica_source_schema', S], ['replica_source_name', S],
    ['replication_status', S], ['replication_error', S], ['ddl', S], ['default_collation_name', S],
    ['upsert_stream_apply_watermark', TS],
  ],
  PARTITIONS: [
    ['table_catalog', S], ['table_schema', S], ['table_name', S], ['partition_id', S],
    ['total_rows', T('TYPE_INT64')], ['total_logical_bytes', T('TYPE_INT64')],
    ['total_billable_bytes', T('TYPE_INT64')], ['last_modified_time', TS], ['storage_tier', S],
  ],
};
const IS_VIEW = /\.information_schema\.[^.]+$/i;

// `project.dataset` of a dotted table name (null for a name without both).
function datasetOf(name) {
  if (IS_VIEW.test(name)) return null;
  const parts = name.split('.');
  return parts.length >= 3 ? parts.slice(0, -1).join('.') : null;
}

function informationSchemaTables(dataset) {
  return Object.entries(INFORMATION_SCHEMA_VIEWS).map(([view, cols]) => [
    `${dataset}.INFORMATION_SCHEMA.${view}`, cols.map(([name, type]) => ({ name, type })),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Catalog: GA4 source, tables created by DDL, script variables as named constants.

class Catalog {
  constructor(tables) {
    this.tables = new Map(tables); // full dotted name → [SimpleColumnProto]
  }

  proto(variables) {
    const root = { name: 'bqflat', table: [], catalog: [], constant: [], builtin_function_options: { language_options: LANGUAGE } };
    const sub = (cat, name) => {
      let c = cat.catalog.find((x) => x.name === name);
      if (!c) {
        c = { name, table: [], catalog: [] };
        cat.catalog.push(c);
      }
      return c;
    };
    // INFORMATION_SCHEMA views of every dataset a table of the catalog lives in.
    const tables = new Map(this.tables);
    for (const name of this.tables.keys()) {
      const ds = datasetOf(name);
      if (!ds) continue;
      for (const [view, columns] of informationSchemaTables(ds)) if (!tables.has(view)) tables.set(view, columns);
    }
    for (const [name, columns] of tables) {
      // A backquoted `project.dataset.table` is ONE identifier to ZetaSQL (BigQuery splits it):
      // register the dotted name as is, and also as a path for `project`.`dataset`.`table`.
      root.table.push({ name, column: columns });
      const parts = name.split('.');
      if (parts.length > 1) {
        let c = root;
        for (const p of parts.slice(0, -1)) c = sub(c, p);
        c.table.push({ name: parts[parts.length - 1], column: columns, full_name: name });
      }
    }
    for (const v of variables) root.constant.push({ name_path: [v.name], type: v.type, value: {} });
    return root;
  }
}

// ---------------------------------------------------------------------------------------------
// Project configuration (only what decides the source table): top-level `key: value` lines of
// bqflat.yaml (or of the original tool's config.yaml).

// `sources:` is read too: its block list of `dataset`, `project.dataset` or flow mappings with
// `project:` and `dataset:` (one entry per line), or a flow list of names.
function readProjectConfig(file) {
  const cfg = {};
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  let inSources = false;
  for (const raw of text.split(/\r?\n/)) {
    const item = /^\s+-\s*(.*?)\s*(#.*)?$/.exec(raw);
    if (inSources && item) {
      const entry = item[1];
      const flow = /^\{(.*)\}$/.exec(entry);
      if (flow) {
        const field = (k) => (new RegExp(`(?:^|,)\\s*${k}:\\s*([^,]+?)\\s*(?:,|$)`).exec(flow[1]) || [])[1];
        cfg.sources.push({ project: field('project'), dataset: field('dataset') });
      } else {
        const [a, b] = entry.split('.');
        cfg.sources.push(b ? { project: a, dataset: b } : { dataset: a });
      }
      continue;
    }
    inSources = false;
    const m = /^([A-Za-z_][A-Za-z0-9_]*):\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    if (m[1] === 'sources') {
      inSources = true;
      const list = /^\[(.*)\]/.exec(m[2]);
      cfg.sources = list ? list[1].split(',').map((n) => n.trim()).filter(Boolean).map((n) => {
        const [a, b] = n.split('.');
        return b ? { project: a, dataset: b } : { dataset: a };
      }) : [];
      continue;
    }
    let v = m[2].replace(/\s+#.*$/, '');
    if (/^(['"]).*\1$/.test(v)) v = v.slice(1, -1);
    cfg[m[1]] = v;
  }
  return cfg;
}

function sourceTables(cfg, ga4Columns) {
  const listed = cfg.sources && cfg.sources.length ? cfg.sources : null;
  if (!cfg.project || !(cfg.source_dataset || listed)) throw new Error('project configuration: project and source_dataset (or sources) are required');
  const table = cfg.source_table || 'events_*';
  const datasets = listed || [{ dataset: cfg.source_dataset }];
  const names = datasets.map((d) => `${d.project || cfg.source_project || cfg.project}.${d.dataset}.${table}`);
  const columns = ga4Columns.slice();
  if (table.endsWith('*')) {
    columns.push({ name: '_TABLE_SUFFIX', type: T('TYPE_STRING'), is_pseudo_column: true });
  } else if (cfg.source_date_column && !columns.some((c) => c.name.toLowerCase() === cfg.source_date_column.toLowerCase())) {
    columns.push({ name: cfg.source_date_column, type: T('TYPE_DATE') });
  }
  const tables = names.map((name) => [name, columns]);
  // The target dataset's views exist before the script creates its first table there.
  if (cfg.target_dataset) tables.push(...informationSchemaTables(`${cfg.target_project || cfg.project}.${cfg.target_dataset}`));
  return tables;
}

// ---------------------------------------------------------------------------------------------
// Checking one script

class Result {
  constructor(label) {
    this.label = label;
    this.checks = []; // {ok, what, kind, src?, start?, end?, message?}
    this.statements = 0;
    this.analyzed = 0; // SQL statements analyzed as statements
    this.expressions = 0; // expressions of script statements analyzed
    this.scriptOnly = {}; // script statement kind → count (walked, not analyzable as statements)
    this.skipped = []; // notes
    this.created = new Map(); // table name → [{name, type}] as resolved
    this.temp = new Set(); // tables created with CREATE TEMP TABLE (they live in this script only)
    this.dropped = new Set(); // tables dropped (and not created again) by the end of the script
    this.txnMutations = new Map(); // table → first statement that UPDATEs/DELETEs/MERGEs/TRUNCATEs it inside a transaction
    this.reads = new Map(); // table (lower case) → [{src, start, end}], one per statement that scans it
  }

  // The tables this script leaves behind for the scripts that run after it: created, not
  // temporary, not dropped.
  get exported() {
    return [...this.created].filter(([name]) => !this.temp.has(name) && !this.dropped.has(name));
  }

  get failed() { return this.checks.filter((c) => !c.ok); }
}

class ScriptChecker {
  constructor(rpc, catalog, src, result) {
    this.rpc = rpc;
    this.catalog = catalog;
    this.src = src;
    this.r = result;
    this.scopes = [new Map()]; // lower-cased name → {name, type}
    this.registered = null;
    this.dirty = true;
    this.inTransaction = false;
  }

  variables() {
    const seen = new Map();
    for (const s of this.scopes) for (const [k, v] of s) seen.set(k, v);
    return [...seen.values()];
  }

  lookupVariable(name) {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i].get(name.toLowerCase());
      if (v) return v;
    }
    return null;
  }

  async catalogId() {
    if (this.dirty || this.registered === null) {
      await this.release();
      const res = await this.rpc.call('RegisterCatalog', { simple_catalog: this.catalog.proto(this.variables()) });
      this.registered = res.registered_id;
      this.dirty = false;
    }
    return this.registered;
  }

  async release() {
    if (this.registered !== null) {
      const id = this.registered;
      this.registered = null;
      await this.rpc.call('UnregisterCatalog', { registered_id: id });
    }
  }

  pass(what, kind, start, end) {
    this.r.checks.push({ ok: true, what, kind, src: this.src, start, end });
  }

  fail(what, kind, start, end, message, prefixLen = 0) {
    this.r.checks.push({ ok: false, what, kind, src: this.src, start, end, message: this.relocate(message, start, prefixLen) });
  }

  // "[at L:C]" of an analyzed fragment (that started at byte `start` of the file, after a
  // `prefixLen`-character prefix of our own) → "[at file line:col]".
  relocate(message, start, prefixLen) {
    let msg = String(message);
    // An expression is analyzed as `SELECT <expr>` coerced to the type it must have.
    if (prefixLen) msg = msg.replace(/^Query column 1 has type/, 'Expression has type');
    return msg.replace(/\[at (\d+):(\d+)\]/, (m, l, c) => {
      const base = this.src.position(start || 0);
      const line = base.line + Number(l) - 1;
      // A location inside our own prefix (an error about the whole expression) → its start.
      const col = Number(l) === 1 ? base.col + Math.max(0, Number(c) - 1 - prefixLen) : Number(c);
      return `[at ${this.src.label}:${line}:${col}]`;
    });
  }

  async analyzeStatement(text, extra) {
    return this.rpc.call('Analyze', {
      options: analyzerOptions(extra),
      registered_catalog_id: await this.catalogId(),
      sql_statement: text,
    });
  }

  // Analyzes `SELECT <expr>`: the type of the expression, and, with `target`, whether it can be
  // assigned to a variable (or used where) of that type, with BigQuery's implicit coercions.
  async analyzeExpression(text, target, ctx) {
    const extra = { system_variables: this.systemVariables(ctx) };
    if (target) extra.target_column_types = [target];
    const res = await this.analyzeStatement(`SELECT ${text}`, extra);
    const [, q] = unwrap(res.resolved_statement);
    return q.output_column_list[0].column.type;
  }

  systemVariables(ctx) {
    const list = ctx.inHandler ? SYSTEM_VARIABLES.concat(ERROR_SYSTEM_VARIABLES) : SYSTEM_VARIABLES;
    return list.map(([name_path, type]) => ({ name_path, type }));
  }

  async run() {
    const { src } = this;
    let parsed;
    try {
      parsed = await this.rpc.call('Parse', { sql_statement: src.text, allow_script: true, options: LANGUAGE });
      this.pass('parse script', 'script', 0, 0);
    } catch (e) {
      this.fail('parse script', 'script', 0, src.buf.length, e.details || e.message);
      return;
    }
    try {
      await this.walkList(parsed.parsed_script.statement_list_node, { inHandler: false });
    } finally {
      await this.release();
    }
  }

  async walkList(list, ctx) {
    let declarationsAllowed = !!(list && list.variable_declarations_allowed);
    for (const any of (list && list.statement_list) || []) {
      let [kind, node] = unwrap(any);
      if (kind === 'ast_hinted_statement_node') [kind, node] = unwrap(node.statement);
      if (kind !== 'ast_variable_declaration_node') declarationsAllowed = false;
      await this.statement(kind, node, ctx, declarationsAllowed);
    }
  }

  textOf(node) {
    const l = locationOf(unwrap(node)[1]);
    if (!l) throw new Error(`no location: ${JSON.stringify(node).slice(0, 300)}`);
    return { start: l.start, end: l.end, text: this.src.slice(l.start, l.end) };
  }

  // Runs one check; failures of the analyzer become failed checks with its message.
  async check(what, kind, start, end, fn, prefixLen = 0) {
    try {
      await fn();
      this.pass(what, kind, start, end);
      return true;
    } catch (e) {
      if (e.code === undefined || e.code === this.rpc.UNAVAILABLE) throw e; // a bug here, or the server died
      this.fail(what, kind, start, end, e.details || e.message, prefixLen);
      return false;
    }
  }

  async expressionCheck(what, kind, exprNode, target, ctx) {
    const { start, end, text } = this.textOf(exprNode);
    this.r.expressions++;
    let type = null;
    await this.check(what, kind, start, end, async () => { type = await this.analyzeExpression(text, target, ctx); }, 'SELECT '.length);
    return type;
  }

  async statement(kind, node, ctx, declarationsAllowed) {
    this.r.statements++;
    const { start, end, text } = this.textOf(node);
    const scriptOnly = () => { this.r.scriptOnly[pretty(kind)] = (this.r.scriptOnly[pretty(kind)] || 0) + 1; };
    switch (kind) {
      case 'ast_variable_declaration_node': {
        scriptOnly();
        const names = node.variable_list.identifier_list.map((i) => i.id_string);
        if (!declarationsAllowed) {
          // BigQuery (and ZetaSQL's script executor) only accept DECLARE at the start of a
          // script or BEGIN block; this parser version does not enforce it.
          this.fail('DECLARE position', pretty(kind), start, end, 'Variable declarations are allowed only at the start of a block or script');
        }
        let type = null;
        if (node.type) {
          const t = this.textOf(node.type);
          this.r.expressions++;
          await this.check(`DECLARE ${names.join(', ')} type`, pretty(kind), t.start, t.end, async () => {
            type = await this.analyzeExpression(`CAST(NULL AS ${t.text})`, null, ctx);
          }, 'SELECT CAST(NULL AS '.length);
        }
        if (node.default_value) {
          const dt = await this.expressionCheck(`DECLARE ${names.join(', ')} DEFAULT`, pretty(kind), node.default_value, type, ctx);
          if (!type) type = dt;
        }
        const scope = this.scopes[this.scopes.length - 1];
        for (const n of names) {
          if (scope.has(n.toLowerCase())) this.fail(`DECLARE ${n}`, pretty(kind), start, end, `Variable ${n} is already declared`);
          // A variable whose type could not be resolved is declared as STRING so that later
          // statements still get checked (the DECLARE itself has already failed).
          scope.set(n.toLowerCase(), { name: n, type: type || T('TYPE_STRING') });
        }
        this.dirty = true;
        return;
      }
      case 'ast_single_assignment_node': {
        scriptOnly();
        const name = node.variable.id_string;
        const v = this.lookupVariable(name);
        if (!v) {
          this.fail(`SET ${name}`, pretty(kind), start, end, `Undeclared variable: ${name}`);
          return;
        }
        await this.expressionCheck(`SET ${name}`, pretty(kind), node.expression, v.type, ctx);
        return;
      }
      case 'ast_if_statement_node': {
        scriptOnly();
        await this.expressionCheck('IF condition', pretty(kind), node.condition, T('TYPE_BOOL'), ctx);
        await this.block(node.then_list, ctx);
        for (const c of (node.elseif_clauses && node.elseif_clauses.elseif_clauses) || []) {
          await this.expressionCheck('ELSEIF condition', pretty(kind), c.condition, T('TYPE_BOOL'), ctx);
          await this.block(c.body, ctx);
        }
        if (node.else_list) await this.block(node.else_list, ctx);
        return;
      }
      case 'ast_while_statement_node': {
        scriptOnly();
        if (node.condition) await this.expressionCheck('WHILE condition', pretty(kind), node.condition, T('TYPE_BOOL'), ctx);
        await this.block(node.parent.body, Object.assign({}, ctx, { inLoop: true }));
        return;
      }
      case 'ast_repeat_statement_node': {
        scriptOnly();
        await this.block(node.parent.body, Object.assign({}, ctx, { inLoop: true }));
        await this.expressionCheck('UNTIL condition', pretty(kind), node.until_clause.condition, T('TYPE_BOOL'), ctx);
        return;
      }
      case 'ast_begin_end_block_node': {
        scriptOnly();
        await this.block(node.statement_list_node, ctx);
        for (const h of (node.handler_list && node.handler_list.exception_handler_list) || []) {
          await this.block(h.statement_list, Object.assign({}, ctx, { inHandler: true }));
        }
        return;
      }
      case 'ast_raise_statement_node': {
        scriptOnly();
        if (node.message) await this.expressionCheck('RAISE message', pretty(kind), node.message, T('TYPE_STRING'), ctx);
        else if (!ctx.inHandler) this.fail('RAISE', pretty(kind), start, end, 'RAISE without a message is only allowed in an exception handler');
        return;
      }
      case 'ast_break_statement_node':
      case 'ast_continue_statement_node': {
        scriptOnly();
        if (!ctx.inLoop) this.fail(pretty(kind), pretty(kind), start, end, `${pretty(kind).toUpperCase()} is only allowed inside a loop`);
        return;
      }
      case 'ast_return_statement_node':
        scriptOnly();
        return;
      case 'ast_case_statement_node':
      case 'ast_for_in_statement_node':
      case 'ast_assignment_from_struct_node':
        // Not generated today. Fail rather than let a construct go unchecked: extend the
        // checker when a template starts using one.
        this.fail(pretty(kind), pretty(kind), start, end, `the conformance checker does not handle ${pretty(kind)} statements yet (extend tests/sql/zetasql/check.js)`);
        return;
      default:
        break;
    }
    // A SQL statement: analyze it as BigQuery would run it at this point of the script.
    this.r.analyzed++;
    let resolved = null;
    const ok = await this.check(firstLine(text), pretty(kind), start, end, async () => {
      resolved = await this.analyzeStatement(text, { system_variables: this.systemVariables(ctx) });
    });
    if (!ok) return;
    this.applyDdl(resolved);
    this.trackTransaction(resolved, start, end);
    for (const table of scannedTables(resolved.resolved_statement)) {
      if (!this.r.reads.has(table)) this.r.reads.set(table, []);
      this.r.reads.get(table).push({ src: this.src, start, end });
    }
    const [rkind, rnode] = unwrap(resolved.resolved_statement);
    if (rkind === 'resolved_create_table_stmt_node' || rkind === 'resolved_create_table_as_select_stmt_node') {
      const partition = findField(rnode, 'partition_by_list') || [];
      const cluster = findField(rnode, 'cluster_by_list') || [];
      if (partition.length || cluster.length) {
        const problems = partitionClusterProblems(partition, cluster);
        if (problems.length) this.fail('BigQuery PARTITION BY / CLUSTER BY rules', 'bigquery ddl rule', start, end, problems.join('; '));
        else this.pass('BigQuery PARTITION BY / CLUSTER BY rules', 'bigquery ddl rule', start, end);
      }
    }
  }

  async block(list, ctx) {
    this.scopes.push(new Map());
    try {
      await this.walkList(list, ctx);
    } finally {
      if (this.scopes.pop().size) this.dirty = true;
    }
  }

  // The analyzer does not apply DDL: register the tables this script creates, as resolved.
  applyDdl(res) {
    const [kind, node] = unwrap(res.resolved_statement);
    if (kind === 'resolved_create_table_stmt_node' || kind === 'resolved_create_table_as_select_stmt_node') {
      const name = findField(node, 'name_path').join('.');
      const defs = findField(node, 'column_definition_list') || [];
      let columns = defs.map((d) => ({ name: d.name, type: d.type }));
      // CREATE TABLE ... COPY / CLONE / LIKE: no column list of its own, the source table's
      // columns (pseudo-columns such as _TABLE_SUFFIX are not copied).
      const from = node.copy_from || node.clone_from || (node.parent && node.parent.like_table && node.parent.like_table.name ? { like: node.parent.like_table } : null);
      if (!defs.length && from) {
        const [, scan] = from.like ? [null, { table: from.like }] : unwrap(from);
        const src = scan.table.full_name || scan.table.name;
        const known = this.catalog.tables.get(src);
        columns = (known || (scan.parent && scan.parent.column_list) || [])
          .filter((c) => !c.is_pseudo_column)
          .map((c) => ({ name: c.name, type: c.type }));
      }
      this.catalog.tables.set(name, columns);
      this.r.created.set(name, columns);
      this.r.dropped.delete(name);
      if (String(findField(node, 'create_scope')) === 'CREATE_TEMP') this.r.temp.add(name);
      else this.r.temp.delete(name);
      this.dirty = true;
    } else if (kind === 'resolved_drop_stmt_node' && String(node.object_type).toUpperCase() === 'TABLE') {
      const name = node.name_path.join('.');
      this.catalog.tables.delete(name);
      this.r.dropped.add(name);
      this.dirty = true;
    }
  }

  // BEGIN TRANSACTION ... COMMIT/ROLLBACK spans (in the order the script is written, which is
  // the order our templates run them) and the permanent tables UPDATEd, DELETEd from, MERGEd
  // into or TRUNCATEd inside them: BigQuery cancels one of two concurrent transactions that
  // mutate one table (see concurrencyCheck).
  trackTransaction(res, start, end) {
    const [kind, node] = unwrap(res.resolved_statement);
    if (this.inTransaction) {
      // Inside a transaction BigQuery runs queries, DML and DDL on temporary tables and
      // functions only (https://cloud.google.com/bigquery/docs/transactions, "Statements
      // supported in transactions"); transactions do not nest.
      const temp = String(findField(node, 'create_scope')) === 'CREATE_TEMP' ||
        (kind === 'resolved_drop_stmt_node' && this.r.temp.has((node.name_path || []).join('.')));
      if (kind === 'resolved_begin_stmt_node') {
        this.fail('BigQuery transaction rules', 'bigquery transaction rule', start, end, 'Transactions cannot be nested: BEGIN TRANSACTION inside a transaction');
      } else if (/^resolved_(create|drop|alter)_/.test(kind) && !temp) {
        this.fail('BigQuery transaction rules', 'bigquery transaction rule', start, end, `${pretty(kind).replace(/ stmt$/, "").toUpperCase()} of a permanent object is not supported inside a transaction (only DDL on temporary tables and functions is)`);
      }
    }
    if (kind === 'resolved_begin_stmt_node') this.inTransaction = true;
    else if (kind === 'resolved_commit_stmt_node' || kind === 'resolved_rollback_stmt_node') this.inTransaction = false;
    const verb = { resolved_update_stmt_node: 'UPDATE', resolved_delete_stmt_node: 'DELETE', resolved_merge_stmt_node: 'MERGE', resolved_truncate_stmt_node: 'TRUNCATE' }[kind];
    if (!verb || !this.inTransaction) return;
    const scan = node.table_scan;
    const table = scan && scan.table && (scan.table.full_name || scan.table.name);
    if (!table || this.r.temp.has(table)) return;
    const key = table.toLowerCase();
    if (!this.r.txnMutations.has(key)) this.r.txnMutations.set(key, { table, verb, src: this.src, start, end });
  }
}

// The analyzer accepts any expression in PARTITION BY and any column in CLUSTER BY; BigQuery
// accepts only these forms (checked on the resolved AST, i.e. after name resolution):
//   PARTITION BY date_col | DATE(timestamp_or_datetime_col) | TIMESTAMP_TRUNC(ts_col, part)
//     | DATETIME_TRUNC(dt_col, part) | DATE_TRUNC(date_col, part) | RANGE_BUCKET(int64_col, ...)
//   CLUSTER BY up to 4 top-level columns of a clusterable type (not FLOAT64, ARRAY, STRUCT, JSON, ...)
const CLUSTERABLE = new Set(['TYPE_BIGNUMERIC', 'TYPE_BOOL', 'TYPE_DATE', 'TYPE_DATETIME', 'TYPE_GEOGRAPHY',
  'TYPE_INT64', 'TYPE_NUMERIC', 'TYPE_RANGE', 'TYPE_STRING', 'TYPE_TIMESTAMP']);
const PARTITION_FUNCTIONS = {
  'ZetaSQL:date': ['TYPE_TIMESTAMP', 'TYPE_DATETIME'],
  'ZetaSQL:timestamp_trunc': ['TYPE_TIMESTAMP'],
  'ZetaSQL:datetime_trunc': ['TYPE_DATETIME'],
  'ZetaSQL:date_trunc': ['TYPE_DATE'],
  'ZetaSQL:range_bucket': ['TYPE_INT64'],
};

function partitionClusterProblems(partition, cluster) {
  const problems = [];
  const columnRef = (e) => {
    const [k, n] = unwrap(e);
    return k === 'resolved_column_ref_node' ? n.column : null;
  };
  if (partition.length > 1) problems.push('PARTITION BY takes one expression');
  for (const p of partition.slice(0, 1)) {
    const col = columnRef(p);
    if (col) {
      if (col.type.type_kind !== 'TYPE_DATE') problems.push(`PARTITION BY column ${col.name} has type ${typeText(col.type)}: a bare partitioning column must be a DATE (use DATE(col) or TIMESTAMP_TRUNC(col, DAY) for a TIMESTAMP)`);
      continue;
    }
    const [k, fn] = unwrap(p);
    const name = k === 'resolved_function_call_node' ? fn.parent.function.name : null;
    const args = (fn && fn.parent && fn.parent.argument_list) || [];
    const first = args.length ? columnRef(args[0]) : null;
    const allowed = PARTITION_FUNCTIONS[name];
    if (!allowed || !first || !allowed.includes(first.type.type_kind) || (name === 'ZetaSQL:date' && args.length !== 1)) {
      problems.push(`PARTITION BY must be a DATE column, DATE(<TIMESTAMP or DATETIME column>), TIMESTAMP_TRUNC, DATETIME_TRUNC, DATE_TRUNC or RANGE_BUCKET of a column; got ${name ? name.replace(/^ZetaSQL:/, '').toUpperCase() + '(...)' : pretty(k)}`);
    }
  }
  if (cluster.length > 4) problems.push(`CLUSTER BY takes at most 4 columns, got ${cluster.length}`);
  for (const c of cluster) {
    const col = columnRef(c);
    if (!col) problems.push('CLUSTER BY takes column names only');
    else if (!CLUSTERABLE.has(col.type.type_kind)) problems.push(`CLUSTER BY column ${col.name} has type ${typeText(col.type)}, which BigQuery cannot cluster on`);
  }
  return problems;
}

function firstLine(text) {
  const l = text.split('\n')[0].trim();
  return l.length > 100 ? `${l.slice(0, 97)}...` : l;
}

// Compares the tables a script creates with the columns manifest.json declares for them.
function manifestChecks(result, artifact, projectDir, src) {
  const t = artifact.table;
  if (!t) return;
  const custom = t.template && !['full.sql', 'incremental.sql'].includes(t.template);
  const overridden = t.template && fs.existsSync(path.join(projectDir, 'templates/bigquery', t.template));
  const created = result.created.get(t.table);
  const what = `manifest columns of ${t.table}`;
  if (custom && !created) {
    result.skipped.push(`${what}: custom template ${t.template} does not create the table`);
    return;
  }
  const want = t.columns.map((c) => `${c.name} ${c.type}`);
  if (!created) {
    if (result.failed.length) {
      // Most likely its CREATE failed to analyze (reported above): nothing to compare.
      result.skipped.push(`${what}: not compared, the table was not created (see the failures above)`);
    } else {
      result.checks.push({ ok: false, what, kind: 'manifest', src, message: `the script does not create ${t.table}` });
    }
    return;
  }
  const got = created.map((c) => `${c.name} ${typeText(c.type)}`);
  if (JSON.stringify(want) === JSON.stringify(got)) {
    result.checks.push({ ok: true, what, kind: 'manifest', src });
  } else if (custom || overridden) {
    // The manifest describes bqflat's model of the table; a project template may create
    // something else on purpose.
    result.skipped.push(`${what}: project template ${t.template} creates (${got.join(', ')}), the manifest lists the model's columns`);
  } else {
    const diff = [];
    for (let i = 0; i < Math.max(want.length, got.length); i++) {
      if (want[i] !== got[i]) diff.push(`#${i + 1}: manifest ${want[i] || '(none)'} / created ${got[i] || '(none)'}`);
    }
    result.checks.push({ ok: false, what, kind: 'manifest', src, message: `columns differ: ${diff.join('; ')}` });
  }
}

// Param keys reach the SQL only as string literals. For every param column the manifest lists,
// the literal the script compares `p.key` with is evaluated by the analyzer itself: it must be one
// string literal whose value is exactly the key, whatever quotes, backslashes, newlines or comment
// markers the key holds.
async function literalChecks(rpc, result, artifact, src) {
  const t = artifact.table;
  if (!t) return;
  const literals = new Map();
  for (const line of src.text.split('\n')) {
    const m = /WHERE p\.key = (.*) ORDER BY o LIMIT 1\) AS `?([A-Za-z0-9_]+)`?,?$/.exec(line);
    if (m) literals.set(m[2].toLowerCase(), m[1]);
  }
  for (const c of t.columns) {
    const m = /^(event_params|user_properties|item_params):([\s\S]*)$/.exec(c.source || '');
    if (!m) continue;
    const what = `key literal of column ${c.name}`;
    const literal = literals.get(c.name.toLowerCase());
    if (literal === undefined) {
      result.skipped.push(`${what}: no \`p.key = …\` line for it (a project template?)`);
      continue;
    }
    try {
      const res = await rpc.call('Evaluate', { sql: literal });
      const value = res.value && res.value.string_value;
      if (value === m[2]) {
        result.checks.push({ ok: true, what, kind: 'literal', src });
      } else {
        result.checks.push({ ok: false, what, kind: 'literal', src, message: `${literal} evaluates to ${JSON.stringify(res.value)}, not the key ${JSON.stringify(m[2])}` });
      }
    } catch (e) {
      result.checks.push({ ok: false, what, kind: 'literal', src, message: `${literal} is not one string literal: ${e.details || e.message}` });
    }
  }
}

async function checkFile(rpc, file, label, baseTables) {
  const src = new Source(file, label, fs.readFileSync(file, 'utf8'));
  const result = new Result(label);
  const catalog = new Catalog(baseTables);
  const checker = new ScriptChecker(rpc, catalog, src, result);
  await checker.run();
  return { src, result };
}

// ---------------------------------------------------------------------------------------------
// Concurrent runs: the table scripts of one build (bigquery/*.sql but _setup.sql; not the
// migrations, not the later dbt/Dataform runs of bigquery/incremental/) are meant to run at the
// same time. BigQuery lets INSERTs run alongside a transaction, but "if a transaction mutates
// (update or deletes) rows in a table, then other transactions or DML statements that mutate
// rows in the same table cannot run concurrently. Conflicting transactions are cancelled."
// (https://cloud.google.com/bigquery/docs/transactions#transaction_concurrency). So no table may
// be UPDATEd, DELETEd from, MERGEd into or TRUNCATEd inside a transaction by two scripts.

function concurrencyCheck(label, results) {
  // The first runs (bigquery/*.sql) run together, and so do the later dbt/Dataform runs
  // (bigquery/incremental/*.sql); a table script and its own later run never do. _run.sql runs
  // every table itself, one transaction after another, instead of the table scripts (README:
  // one or the other), so it is a group of its own.
  const group = (r) => (!r.file || r.file === '_setup.sql' || r.file.startsWith('migrations/') ? null : r.file.startsWith('incremental/') ? 'incremental/' : r.file === '_run.sql' ? '_run.sql' : '');
  const scripts = results.filter((r) => group(r) !== null);
  const by = new Map(); // group + table (lower case) → [{script, mutation}]
  for (const r of scripts) {
    for (const [table, m] of r.txnMutations) {
      const key = `${group(r)}\t${table}`;
      if (!by.has(key)) by.set(key, []);
      by.get(key).push({ r, m });
    }
  }
  const shared = [...by.values()].filter((l) => l.length > 1);
  const mutated = [...by.values()].reduce((n, l) => n + l.length, 0);
  const check = { what: 'no two table scripts mutate one table inside a transaction', kind: 'concurrency' };
  if (!shared.length) {
    return Object.assign(check, { ok: true, summary: `${scripts.length} table scripts, ${by.size} tables mutated inside transactions (${mutated} script/table pairs), none shared` });
  }
  const lines = shared.map((l) => `${l[0].m.table} by ${l.length} scripts (${l.slice(0, 3).map(({ r, m }) => `${r.label.replace(`${label}/`, '')} ${m.verb} at line ${m.src.position(m.start).line}`).join(', ')}${l.length > 3 ? ', ...' : ''})`);
  const first = shared[0][1].m;
  return Object.assign(check, {
    ok: false,
    summary: `${shared.length} table(s) mutated inside transactions by more than one of ${scripts.length} table scripts`,
    src: first.src, start: first.start, end: first.end,
    message: `BigQuery cancels one of two concurrent transactions that mutate one table (only INSERT may run alongside): ${lines.join('; ')}`,
  });
}

// _run.sql builds every table from one read of each export source: the source's table is
// scanned by exactly one statement (its shared scan), one per `-- Source` section, whatever the
// number of tables; the table scripts each scan it themselves.
function runReadsCheck(label, results, source) {
  const run = results.find((r) => r.file === '_run.sql');
  if (!run) return null;
  const sources = new Set(source.map(([name]) => name.toLowerCase()).filter((n) => !n.includes('.information_schema.')));
  const text = run.checks.find((c) => c.src)?.src.text || '';
  const sections = (text.match(/^-- Source /gm) || []).length;
  const read = [...run.reads].filter(([t]) => sources.has(t));
  const twice = read.filter(([, l]) => l.length !== 1);
  const perTable = results.filter((r) => r.file && !r.file.startsWith('_') && !r.file.startsWith('migrations/') && !r.file.startsWith('incremental/'))
    .reduce((n, r) => n + [...r.reads].filter(([t]) => sources.has(t)).reduce((m, [, l]) => m + l.length, 0), 0);
  const check = { what: '_run.sql reads each export source in exactly one statement', kind: 'run reads' };
  const summary = `${read.map(([t, l]) => `${t} in ${l.length} statement(s)`).join(', ') || 'no source read'} (${sections} source section(s); the table scripts: ${perTable} statement(s))`;
  if (!twice.length && read.length === sections) return Object.assign(check, { ok: true, summary });
  const bad = twice.length ? twice[0][1][1] || twice[0][1][0] : null;
  return Object.assign(check, {
    ok: false, summary,
    ...(bad ? { src: bad.src, start: bad.start, end: bad.end } : {}),
    message: `expected one statement per source section: ${summary}`,
  });
}

// dbt and Dataform read each export source in its base model only: of the first runs
// (bigquery/*.sql the tools would run), the base's is the one statement that scans the source's
// table, and every other model scans its base instead (the views over an event's sources read
// the tables' models, not a base).
function baseReadsCheck(label, results, source, views) {
  const bases = results.filter((r) => r.file && r.file.startsWith(BASE_PREFIX));
  if (!bases.length) return null;
  const sources = new Set(source.map(([name]) => name.toLowerCase()).filter((n) => !n.includes('.information_schema.')));
  const first = results.filter((r) => r.file && !r.file.includes('/') && r.file !== '_setup.sql');
  const reading = (r) => [...r.reads].filter(([t]) => sources.has(t)).reduce((n, [, l]) => n + l.length, 0);
  const baseTables = new Set(bases.flatMap((r) => r.exported.map(([name]) => name.toLowerCase())));
  const others = first.filter((r) => !r.file.startsWith(BASE_PREFIX) && !views.has(r.file));
  const direct = others.filter((r) => reading(r) > 0);
  const viaBase = others.filter((r) => [...r.reads.keys()].some((t) => baseTables.has(t)));
  const summary = `${bases.map((r) => `${r.file} in ${reading(r)} statement(s)`).join(', ')}; ${viaBase.length} of ${others.length} other model(s) read a base, ${direct.length} the export`;
  const check = { what: 'dbt and Dataform read each export source in the base model only', kind: 'base reads' };
  if (bases.every((r) => reading(r) === 1) && !direct.length && viaBase.length === others.length) return Object.assign(check, { ok: true, summary });
  return Object.assign(check, { ok: false, summary, message: `expected the base alone to read the export: ${summary}` });
}

// ---------------------------------------------------------------------------------------------
// Report

function printFailure(c, out, tag = 'FAIL') {
  out.push(`    ${tag} [${c.kind}] ${c.what}`);
  if (c.src && c.start !== undefined && c.end > c.start) {
    const p = c.src.position(c.start);
    const lines = c.src.slice(c.start, c.end).split('\n');
    out.push(`      at ${c.src.label}:${p.line}:${p.col}`);
    for (const l of lines.slice(0, 4)) out.push(`      | ${l}`);
    if (lines.length > 4) out.push(`      | ... (${lines.length - 4} more lines)`);
  }
  out.push(`      analyzer: ${c.message}`);
  const m = /\[at .*:(\d+):(\d+)\]/.exec(c.message || '');
  if (m && c.src) {
    const line = c.src.lineText(Number(m[1]));
    out.push(`      ${m[1].padStart(5)} | ${line}`);
    out.push(`            | ${' '.repeat(Math.max(0, Number(m[2]) - 1))}^`);
  }
}

function summaryOf(r) {
  const so = Object.entries(r.scriptOnly).map(([k, n]) => `${n} ${k}`).join(', ');
  return `${r.statements} statements: ${r.analyzed} analyzed as statements, ${r.expressions} expressions of script statements` +
    (so ? ` (script-only: ${so})` : '');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const ga4 = JSON.parse(fs.readFileSync(path.join(REPO, 'schemas/ga4_export_schema.json'), 'utf8'));
  const ga4Columns = ga4.map((f) => ({ name: f.name, type: typeOfSchemaField(f) }));

  const rpc = connect(args.port);
  await waitReady(rpc);

  const out = [];
  const totals = { files: 0, statements: 0, passed: 0, failed: 0, known: 0, checks: 0 };
  const problems = [];
  const count = (r) => {
    totals.statements += r.statements;
  };

  // Known failures: generated files that fail for a reason outside bqflat's templates. Each
  // entry must match a failure (file and message), or the run fails so the entry gets removed.
  const known = [];
  if (args.known && fs.existsSync(args.known)) {
    for (const line of fs.readFileSync(args.known, 'utf8').split('\n')) {
      if (!line.trim() || line.startsWith('#')) continue;
      const [file, message, reason] = line.split('\t');
      if (!file || !message || !reason) throw new Error(`${args.known}: expected file<TAB>message<TAB>reason: ${line}`);
      known.push({ file, message, reason, used: 0 });
    }
  }

  const plan = fs.readFileSync(args.plan, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
  // Generated scripts: every check must pass.
  out.push('== generated scripts');
  for (const [kind, label, projectDir, buildDir, expected, configFile] of plan) {
    const cfg = readProjectConfig(configFile);
    const source = sourceTables(cfg, ga4Columns);
    const manifest = JSON.parse(fs.readFileSync(path.join(buildDir, 'manifest.json'), 'utf8'));
    // _setup.sql first, then the dbt and Dataform base models, which the other first runs read;
    // _checks.sql last, over the tables the others create.
    // The views over each event's sources read the tables the others create: after them.
    const views = new Set((manifest.artifacts || []).filter((a) => a.view && a.path.startsWith('bigquery/')).map((a) => a.path.replace(/^bigquery\//, '')));
    const rank = (f) => (f === '_setup.sql' ? 0 : f.startsWith(BASE_PREFIX) ? 1 : f === '_checks.sql' ? 4 : views.has(f) ? 3 : 2);
    // A build for dbt and Dataform only has no BigQuery scripts of its own.
    const bigqueryDir = path.join(buildDir, 'bigquery');
    const files = (fs.existsSync(bigqueryDir) ? fs.readdirSync(bigqueryDir) : []).filter((f) => f.endsWith('.sql')).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    // Migrations (bigquery/migrations/) alter tables the table scripts create, and the later runs
    // of dbt and Dataform tables (bigquery/incremental/) merge into them: they come last.
    for (const later of ['migrations', 'incremental']) {
      const dir = path.join(buildDir, 'bigquery', later);
      if (fs.existsSync(dir)) {
        for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) files.push(`${later}/${f}`);
      }
    }
    // Tables _setup.sql creates exist for the other scripts of the project (each script also
    // creates the metadata tables itself when missing); tables the table scripts create exist
    // for the migrations.
    let base = source;
    let setupBase = source;
    const projectResults = [];
    for (const f of files) {
      const rel = `bigquery/${f}`;
      const { src, result } = await checkFile(rpc, path.join(buildDir, rel), `${label}/${rel}`, /^(migrations|incremental)\//.test(f) || f === '_checks.sql' || views.has(f) ? base : setupBase);
      if (f === '_setup.sql') setupBase = source.concat(result.exported);
      if (f.startsWith(BASE_PREFIX)) setupBase = setupBase.concat(result.exported);
      base = base.concat(result.exported);
      const artifact = (manifest.artifacts || []).find((a) => a.path === rel);
      if (artifact) {
        manifestChecks(result, artifact, projectDir, src);
        await literalChecks(rpc, result, artifact, src);
      }
      result.file = f;
      projectResults.push(result);
    }
    const concurrency = concurrencyCheck(label, projectResults);
    const runReads = runReadsCheck(label, projectResults, source);
    const baseReads = baseReadsCheck(label, projectResults, source, views);
    if (kind === 'positive') {
      for (const r of projectResults) {
        totals.files++;
        count(r);
        const failed = [];
        const xfailed = [];
        for (const c of r.failed) {
          const k = known.find((e) => e.file === r.label && (c.message || '').includes(e.message));
          if (k) {
            k.used++;
            xfailed.push([c, k]);
          } else {
            failed.push(c);
          }
        }
        totals.passed += r.checks.length - r.failed.length;
        totals.failed += failed.length;
        totals.known += xfailed.length;
        const status = failed.length ? 'FAIL' : xfailed.length ? 'xfail' : 'ok  ';
        out.push(`${status} ${r.label}: ${r.checks.length - r.failed.length}/${r.checks.length} checks passed` +
          `${xfailed.length ? `, ${xfailed.length} known failure(s)` : ''}; ${summaryOf(r)}`);
        for (const s of r.skipped) out.push(`    note: ${s}`);
        for (const c of failed) {
          printFailure(c, out);
          problems.push(`${r.label}: ${c.what}`);
        }
        for (const [c, k] of xfailed) {
          out.push(`    known failure (known_failures.tsv): ${k.reason}`);
          printFailure(c, out, 'XFAIL');
        }
      }
      if (runReads) {
        totals.passed += runReads.ok ? 1 : 0;
        totals.failed += runReads.ok ? 0 : 1;
        out.push(`${runReads.ok ? 'ok  ' : 'FAIL'} ${label}: _run.sql reads each source once: ${runReads.summary}`);
        if (!runReads.ok) {
          printFailure(runReads, out);
          problems.push(`${label}: ${runReads.what}`);
        }
      }
      if (baseReads) {
        totals.passed += baseReads.ok ? 1 : 0;
        totals.failed += baseReads.ok ? 0 : 1;
        out.push(`${baseReads.ok ? 'ok  ' : 'FAIL'} ${label}: the base model reads each source: ${baseReads.summary}`);
        if (!baseReads.ok) {
          printFailure(baseReads, out);
          problems.push(`${label}: ${baseReads.what}`);
        }
      }
      {
      totals.checks++;
      if (concurrency.ok) {
        totals.passed++;
        out.push(`ok   ${label}: concurrent transactions: ${concurrency.summary}`);
      } else {
        totals.failed++;
        out.push(`FAIL ${label}: concurrent transactions: ${concurrency.summary}`);
        printFailure(concurrency, out);
        problems.push(`${label}: ${concurrency.what}`);
      }
    }
    } else {
      // A mutated template: the suite must reject it, with the expected analyzer message.
      const failures = projectResults.flatMap((r) => r.failed).concat(concurrency.ok ? [] : [concurrency], runReads && !runReads.ok ? [runReads] : []);
      const hit = failures.find((c) => (c.message || '').includes(expected));
      const line = `mutation ${label}: ${failures.length} failed checks`;
      if (hit) {
        totals.passed++;
        out.push(`ok   ${line}; rejected as expected: ${hit.message}`);
      } else {
        totals.failed++;
        out.push(`FAIL ${line}; expected a failure containing "${expected}"`);
        for (const c of failures.slice(0, 3)) printFailure(c, out);
        problems.push(`mutation ${label} was not rejected with "${expected}"`);
      }
    }
  }

  if (plan.some(([kind]) => kind === 'positive') && !totals.files) {
    totals.failed++;
    problems.push('the projects generated no .sql files');
  }
  for (const k of known.filter((e) => !e.used)) {
    totals.failed++;
    out.push(`FAIL known failure no longer occurs (remove it from known_failures.tsv): ${k.file}: ${k.message}`);
    problems.push(`stale known failure: ${k.file}: ${k.message}`);
  }

  // Negative cases: each must be reported as a failure, with the expected message.
  out.push('== negative cases (each must fail)');
  const negDir = args.negative;
  const negSource = sourceTables({ project: 'my-gcp-project', source_dataset: 'raw_events', target_dataset: 'analytics_flat' }, ga4Columns)
    .concat(sourceTables({ project: 'my-gcp-project', source_dataset: 'raw_events', source_table: 'events_all', source_date_column: 'event_day' }, ga4Columns));
  const negFiles = fs.readdirSync(negDir).filter((f) => f.endsWith('.sql')).sort();
  if (!negFiles.length) {
    totals.failed++;
    problems.push('no negative cases found');
  }
  for (const f of negFiles) {
    const file = path.join(negDir, f);
    const text = fs.readFileSync(file, 'utf8');
    const expect = (/^--\s*expect:\s*(.+?)\s*$/m.exec(text) || [])[1];
    const { result } = await checkFile(rpc, file, `negative/${f}`, negSource);
    const failures = result.failed;
    const hit = expect && failures.find((c) => (c.message || '').includes(expect));
    if (hit) {
      totals.passed++;
      out.push(`ok   negative/${f}: rejected: ${hit.message}`);
    } else {
      totals.failed++;
      const why = !expect ? 'no `-- expect: <message>` line' : failures.length ? `failed, but not with "${expect}": ${failures.map((c) => c.message).join(' | ')}` : 'was ACCEPTED by the analyzer';
      out.push(`FAIL negative/${f}: ${why}`);
      problems.push(`negative/${f}: ${why}`);
    }
  }

  rpc.close();
  out.push('');
  if (problems.length) {
    out.push('Failures:');
    for (const p of problems) out.push(`  - ${p}`);
  }
  out.push(`zetasql: ${totals.files} files, ${totals.statements} statements, ${totals.checks} builds checked for concurrent transactions, ${totals.passed} passed, ${totals.failed} failed`);
  out.push(`${totals.passed} passed, ${totals.failed} failed`);
  if (totals.known) out.push(`(${totals.known} known failure(s) listed in known_failures.tsv, printed above, not counted)`);
  out.push(`analysis time: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(out.join('\n'));
  process.exitCode = totals.failed ? 1 : 0;
}

main().catch((e) => {
  console.error(`zetasql: error: ${e.stack || e.message || e}`);
  process.exitCode = 2;
});
