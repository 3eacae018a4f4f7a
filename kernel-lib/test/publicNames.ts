/**
 * The public names of an entry file, as the TypeScript checker sees them: every export, values and
 * types alike (`export type` included), one line per name: `<entry> <name> <kind>`.
 */
import * as path from "node:path";
import * as ts from "typescript";

/** What a name is to a user: something to call or construct, or only a type to write. */
function kindOf(checker: ts.TypeChecker, exported: ts.Symbol): string {
  const typeOnly = (exported.declarations ?? []).some(
    (d) => (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) || ts.isTypeAliasDeclaration(d),
  );
  const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const f = target.flags;
  if (typeOnly || !(f & ts.SymbolFlags.Value)) {
    return f & ts.SymbolFlags.Interface ? "interface" : "type";
  }
  if (f & ts.SymbolFlags.Class) return "class";
  if (f & ts.SymbolFlags.Function) return "function";
  return "const";
}

/** Sorted `<entry> <name> <kind>` lines for each entry (label → file). */
export function publicNames(entries: Record<string, string>, tsconfig: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error(`cannot read ${tsconfig}`);
  const files = Object.values(entries).map((f) => path.resolve(f));
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const lines: string[] = [];
  for (const [label, file] of Object.entries(entries)) {
    const source = program.getSourceFile(path.resolve(file));
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${file} is not a module`);
    for (const s of checker.getExportsOfModule(module)) lines.push(`${label} ${s.getName()} ${kindOf(checker, s)}`);
  }
  return lines.sort();
}
