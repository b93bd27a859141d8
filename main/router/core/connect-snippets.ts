/**
 * What an application developer pastes to reach the router: a streaming chat completion with curl, and the
 * official OpenAI client in Python and JavaScript. Without the key itself, each reads it from the environment
 * variable OUTPOST_API_KEY, so a snippet copied later never carries a secret.
 */
export const SNIPPET_KINDS = ['curl', 'openai-python', 'openai-js'] as const;
export type SnippetKind = (typeof SNIPPET_KINDS)[number];

export const API_KEY_VARIABLE = 'OUTPOST_API_KEY';

const PROMPT = 'Say hello in one sentence.';

/** Safe inside single quotes in a POSIX shell: each quote closes, is escaped, and reopens. */
function shellQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function connectSnippets(options: { baseUrl: string; model: string; key: string | null }): Record<SnippetKind, string> {
  const { baseUrl, model, key } = options;
  const body = JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: PROMPT }] });
  const authorization = key === null ? `"Authorization: Bearer $${API_KEY_VARIABLE}"` : shellQuoted(`Authorization: Bearer ${key}`);
  const curl = [`curl -sN ${shellQuoted(`${baseUrl}/chat/completions`)} \\`, `  -H ${authorization} \\`, `  -H 'Content-Type: application/json' \\`, `  -d ${shellQuoted(body)}`].join('\n');
  const python = [
    ...(key === null ? ['import os', ''] : []),
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url=${JSON.stringify(baseUrl)}, api_key=${key === null ? `os.environ[${JSON.stringify(API_KEY_VARIABLE)}]` : JSON.stringify(key)})`,
    'stream = client.chat.completions.create(',
    `    model=${JSON.stringify(model)},`,
    `    messages=[{"role": "user", "content": ${JSON.stringify(PROMPT)}}],`,
    '    stream=True,',
    ')',
    'for chunk in stream:',
    '    print(chunk.choices[0].delta.content or "", end="", flush=True)',
  ].join('\n');
  const js = [
    "import OpenAI from 'openai';",
    '',
    `const client = new OpenAI({ baseURL: ${JSON.stringify(baseUrl)}, apiKey: ${key === null ? `process.env.${API_KEY_VARIABLE}` : JSON.stringify(key)} });`,
    'const stream = await client.chat.completions.create({',
    `  model: ${JSON.stringify(model)},`,
    `  messages: [{ role: 'user', content: ${JSON.stringify(PROMPT)} }],`,
    '  stream: true,',
    '});',
    "for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');",
  ].join('\n');
  return { curl, 'openai-python': python, 'openai-js': js };
}
