/**
 * Splits a SQL text into its statements, as D1's HTTP API does before it runs
 * them (one result per statement). Pure. Semicolons inside quotes ('…', "…",
 * `…`, […]), comments (-- …, /* … *\/) and a trigger's BEGIN … END body do not
 * end a statement. Statements that are only whitespace or comments are dropped.
 */

const TRIGGER = /^\s*create\s+(?:temp\s+|temporary\s+)?trigger\b/i;

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_$]/.test(c);
}

/** Whether `sql` holds a statement once comments and whitespace are taken away. */
function hasContent(sql: string): boolean {
  return (
    sql
      .replace(/--[^\n]*/g, "")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .trim().length > 0
  );
}

export function splitSql(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  // BEGIN/CASE … END nesting, counted only in CREATE TRIGGER statements
  let depth = 0;
  let i = 0;
  const push = (end: number) => {
    const statement = sql.slice(start, end).trim();
    if (hasContent(statement)) out.push(statement);
    start = end + 1;
    depth = 0;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      const end = sql.indexOf(close, i + 1);
      // a doubled quote ('it''s') is two adjacent quoted runs: scanning on handles it
      i = end === -1 ? sql.length : end + 1;
    } else if (c === ";") {
      if (depth <= 0) push(i);
      i++;
    } else if (isWordChar(c) && !isWordChar(sql[i - 1])) {
      let end = i;
      while (isWordChar(sql[end])) end++;
      const word = sql.slice(i, end).toUpperCase();
      if (TRIGGER.test(sql.slice(start, end))) {
        if (word === "BEGIN" || word === "CASE") depth++;
        else if (word === "END") depth--;
      }
      i = end;
    } else {
      i++;
    }
  }
  push(sql.length);
  return out;
}
