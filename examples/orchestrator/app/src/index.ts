import { createServer } from 'node:http';
import { llmConfig } from './llm.js';

const port = Number(process.env.PORT ?? 3000);

createServer((req, res) => {
  if (req.url === '/health') {
    res.end(JSON.stringify({ ok: true, llm: llmConfig().configured }));
    return;
  }
  res.statusCode = 404;
  res.end();
}).listen(port);
