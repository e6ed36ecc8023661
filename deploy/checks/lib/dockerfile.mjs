// A small Dockerfile reader: enough to check structure (stages, ENV, COPY, USER, CMD, HEALTHCHECK).
export function parseDockerfile(text) {
  const lines = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!current && /^\s*#/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      current += line.replace(/\\\s*$/, ' ');
      continue;
    }
    current += line;
    if (current.trim()) lines.push(current.trim());
    current = '';
  }
  const globalArgs = {};
  const stages = [];
  for (const line of lines) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) continue;
    const instr = m[1].toUpperCase();
    const args = m[2].trim();
    if (instr === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({
        image: f?.[1],
        name: f?.[2] ?? String(stages.length),
        instructions: [],
        env: {},
        user: null,
      });
      continue;
    }
    if (stages.length === 0) {
      if (instr === 'ARG') {
        const [k, v] = args.split('=');
        globalArgs[k] = v;
      }
      continue;
    }
    const stage = stages.at(-1);
    const ins = { instr, args, json: null };
    if (args.startsWith('[')) {
      try {
        ins.json = JSON.parse(args);
      } catch {
        /* shell form that happens to start with [ */
      }
    }
    if (instr === 'ENV') Object.assign(stage.env, parseEnv(args));
    if (instr === 'USER') stage.user = args;
    if (instr === 'HEALTHCHECK') {
      const h = /^((?:--\S+\s+)*)CMD\s+([\s\S]+)$/.exec(args);
      ins.healthcheck = h
        ? { options: h[1].trim(), cmd: h[2].trim(), json: tryJson(h[2].trim()) }
        : null;
    }
    if (instr === 'COPY' || instr === 'ADD') {
      const parts = args.startsWith('[') ? (tryJson(args) ?? []) : args.split(/\s+/);
      const flags = parts.filter((p) => p.startsWith('--'));
      const paths = parts.filter((p) => !p.startsWith('--'));
      ins.from = flags.find((f) => f.startsWith('--from='))?.slice(7) ?? null;
      ins.sources = paths.slice(0, -1);
      ins.dest = paths.at(-1);
    }
    stage.instructions.push(ins);
  }
  return { globalArgs, stages };
}

function tryJson(s) {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

function parseEnv(args) {
  const env = {};
  if (!args.includes('=')) {
    const [k, ...rest] = args.split(/\s+/);
    env[k] = rest.join(' ');
    return env;
  }
  for (const m of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) env[m[1]] = m[3] ?? m[2];
  return env;
}
