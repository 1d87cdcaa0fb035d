import { configFields } from "./config.js";

/** The README's configuration table, generated from the schema (the one source of truth). */
export function configTableMarkdown(): string {
  const rows = ["| key | default | meaning |", "|---|---|---|"];
  for (const field of Object.values(configFields)) {
    const fallback = field.default !== undefined ? JSON.stringify(field.default) : "(none)";
    rows.push(`| \`${field.toml}\` | \`${fallback}\` | ${field.description} |`);
  }
  return rows.join("\n");
}
