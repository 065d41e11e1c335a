// Counters, gauges and histograms with labels, written in the Prometheus text exposition format
// (version 0.0.4: "# HELP", "# TYPE", one sample a line, label values escaped).

export type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

interface Metric {
  render(): string;
}

/** Most label combinations a metric keeps; past that new combinations count under "other". */
const MAX_SERIES = 500;

abstract class Labelled<T> implements Metric {
  protected readonly series = new Map<string, { values: string[]; v: T }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly type: string,
  ) {}
  protected abstract init(): T;
  protected get(labels: Labels): T {
    let values = this.labelNames.map((n) => labels[n] ?? '');
    let key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= MAX_SERIES) {
        values = this.labelNames.map(() => 'other');
        key = values.join('\u0000');
        s = this.series.get(key);
      }
      if (!s) this.series.set(key, (s = { values, v: this.init() }));
    }
    return s.v;
  }
  protected header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
  }
  abstract render(): string;
}

export class Counter extends Labelled<{ n: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'counter');
  }
  protected init() {
    return { n: 0 };
  }
  inc(labels: Labels = {}, by = 1): void {
    this.get(labels).n += by;
  }
  render(): string {
    let out = this.header();
    for (const { values, v } of this.series.values()) out += `${this.name}${labelText(this.labelNames, values)} ${num(v.n)}\n`;
    return out;
  }
}

export class Gauge extends Labelled<{ n: number }> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    /** read at each scrape instead of set */
    private readonly collect?: () => number,
  ) {
    super(name, help, labelNames, 'gauge');
  }
  protected init() {
    return { n: 0 };
  }
  set(v: number, labels: Labels = {}): void {
    this.get(labels).n = v;
  }
  add(by: number, labels: Labels = {}): void {
    this.get(labels).n += by;
  }
  render(): string {
    if (this.collect) this.set(this.collect());
    let out = this.header();
    if (this.series.size === 0 && this.labelNames.length === 0) this.get({});
    for (const { values, v } of this.series.values()) out += `${this.name}${labelText(this.labelNames, values)} ${num(v.n)}\n`;
    return out;
  }
}

/** A gauge family whose labelled samples are all read at each scrape (e.g. one per replication partner). */
export class CollectedGauge extends Labelled<{ n: number }> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly collect: () => Iterable<[Labels, number]>,
  ) {
    super(name, help, labelNames, 'gauge');
  }
  protected init() {
    return { n: 0 };
  }
  render(): string {
    this.series.clear();
    for (const [labels, v] of this.collect()) this.get(labels).n = v;
    let out = this.header();
    for (const { values, v } of this.series.values()) out += `${this.name}${labelText(this.labelNames, values)} ${num(v.n)}\n`;
    return out;
  }
}

export class Histogram extends Labelled<{ buckets: number[]; sum: number; count: number }> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames, 'histogram');
  }
  protected init() {
    return { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
  }
  observe(v: number, labels: Labels = {}): void {
    const h = this.get(labels);
    h.count++;
    h.sum += v;
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) h.buckets[i]!++;
  }
  render(): string {
    let out = this.header();
    for (const { values, v } of this.series.values()) {
      this.bounds.forEach((b, i) => (out += `${this.name}_bucket${labelText(this.labelNames, values, ['le', num(b)])} ${v.buckets[i]}\n`));
      out += `${this.name}_bucket${labelText(this.labelNames, values, ['le', '+Inf'])} ${v.count}\n`;
      out += `${this.name}_sum${labelText(this.labelNames, values)} ${num(v.sum)}\n`;
      out += `${this.name}_count${labelText(this.labelNames, values)} ${v.count}\n`;
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return this.metrics.map((m) => m.render()).join('');
  }
}

/** The media type of the text format (Prometheus exposition format 0.0.4). */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
