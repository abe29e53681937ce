// Calls the OpenAI API; OPENAI_API_KEY must be set.
export interface LlmConfig {
  apiKey: string | undefined;
  configured: boolean;
}

export function llmConfig(): LlmConfig {
  const apiKey = process.env.OPENAI_API_KEY;
  return { apiKey, configured: Boolean(apiKey) };
}
