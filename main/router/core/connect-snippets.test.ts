import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectSnippets } from './connect-snippets.js';

test('without a key the snippets read it from $OUTPOST_API_KEY; with one they carry it', () => {
  const placeholder = connectSnippets({ baseUrl: 'http://10.0.0.5:8080/v1', model: 'tiny', key: null });
  assert.equal(
    placeholder.curl,
    [
      "curl -sN 'http://10.0.0.5:8080/v1/chat/completions' \\",
      '  -H "Authorization: Bearer $OUTPOST_API_KEY" \\',
      "  -H 'Content-Type: application/json' \\",
      `  -d '{"model":"tiny","stream":true,"messages":[{"role":"user","content":"Say hello in one sentence."}]}'`,
    ].join('\n'),
  );
  assert.match(placeholder['openai-python'], /^import os\n\nfrom openai import OpenAI\n\nclient = OpenAI\(base_url="http:\/\/10\.0\.0\.5:8080\/v1", api_key=os\.environ\["OUTPOST_API_KEY"\]\)/);
  assert.match(placeholder['openai-js'], /new OpenAI\(\{ baseURL: "http:\/\/10\.0\.0\.5:8080\/v1", apiKey: process\.env\.OUTPOST_API_KEY \}\)/);
  const withKey = connectSnippets({ baseUrl: 'http://127.0.0.1:8080/v1', model: "it's", key: 'opk_abc_SECRET' });
  assert.match(withKey.curl, /-H 'Authorization: Bearer opk_abc_SECRET'/);
  assert.match(withKey.curl, /"model":"it'\\''s"/, 'a quote in the model id stays inside the shell quoting');
  assert.match(withKey['openai-python'], /api_key="opk_abc_SECRET"/);
  assert.doesNotMatch(withKey['openai-python'], /import os/);
  assert.match(withKey['openai-js'], /apiKey: "opk_abc_SECRET"/);
});
