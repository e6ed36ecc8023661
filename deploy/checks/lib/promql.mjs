// Metric names in PromQL (parsed with Prometheus' own Lezer grammar) and in the /metrics exposition.
import { parser } from '@prometheus-io/lezer-promql';

/** Grafana's built-in interval variables, replaced so the expression is plain PromQL. */
export function fromGrafana(expr) {
  const out = expr.replace(
    /\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}/g,
    '5m',
  );
  if (/\$/.test(out)) throw new Error(`unsupported template variable in: ${expr}`);
  return out;
}

/** { metrics, matchers } of an expression; throws on a syntax error. */
export function analyse(expr) {
  const tree = parser.parse(expr);
  const metrics = new Set();
  const matchers = [];
  let error = null;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === null) error = node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        metrics.add(expr.slice(node.from, node.to));
      if (node.name === 'UnquotedLabelMatcher' || node.name === 'QuotedLabelMatcher') {
        const text = expr.slice(node.from, node.to);
        const m = /^"?([\w.]+)"?\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"$/.exec(text);
        if (m) matchers.push({ label: m[1], op: m[2], value: m[3] });
      }
    },
  });
  if (error !== null) throw new Error(`PromQL syntax error at ${error}: ${expr}`);
  if (matchers.some((m) => m.label === '__name__'))
    throw new Error(`__name__ matchers hide the metric name from this check: ${expr}`);
  return { metrics, matchers };
}

/**
 * Names a scrape of /metrics makes queryable: sample names, plus the _bucket/_sum/_count series of
 * every declared histogram or summary (declared even before their first observation).
 */
export function exposedNames(text) {
  const names = new Set();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      if (kind === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => names.add(name + s));
      else if (kind === 'summary') ['', '_sum', '_count'].forEach((s) => names.add(name + s));
      else names.add(name);
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]);
  }
  return names;
}

/** Values a label takes in the exposition, e.g. every route label of a metric. */
export function labelValues(text, metric, label) {
  const values = new Set();
  const re = new RegExp(`^${metric}\\{([^}]*)\\}`);
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const lv = new RegExp(`(?:^|,)${label}="((?:[^"\\\\]|\\\\.)*)"`).exec(m[1]);
    if (lv) values.add(lv[1]);
  }
  return values;
}
