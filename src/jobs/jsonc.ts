/** Reads JSON with comments and trailing commas (wrangler.jsonc). Pure. */

export function stripJsonComments(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === "\\") out += text[++i] ?? "";
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (ch === "/" && text[i + 1] === "*") {
      i += 2;
      // Newlines inside a block comment are kept, so a parse error's line is the file's line.
      while (i < text.length && !(text[i] === "*" && text[i + 1] === "/"))
        if (text[i++] === "\n") out += "\n";
      i++;
    } else out += ch;
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}

export function parseJsonc(text: string): unknown {
  return JSON.parse(stripJsonComments(text));
}
