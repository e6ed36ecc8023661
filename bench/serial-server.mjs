// The HTTP wrapper both baseline servers share: POST {"text"} → {"translations": [text], "generated_tokens"},
// one translation at a time (no batching), on 127.0.0.1:PORT; prints "ready" once listening.
import http from 'node:http';

/** @param {(text: string) => Promise<{ text: string, tokens: number }>} translate */
export function serveSerially(translate, defaultPort) {
  let chain = Promise.resolve();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST') { res.writeHead(200); res.end('ok'); return; }
      chain = chain.then(async () => {
        try {
          const r = await translate(JSON.parse(body).text);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ translations: [r.text], generated_tokens: r.tokens }));
        } catch (e) { res.writeHead(500); res.end(String(e?.stack ?? e)); }
      });
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(Number(process.env.PORT ?? defaultPort), '127.0.0.1', () => console.log('ready'));
}
