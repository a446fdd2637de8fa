// Package tsgen writes the UI's TypeScript types from the Go types the bindings exchange
// (app/types.go and backend/wire), so there is one definition of each wire type and the UI's
// copy cannot drift: the structure comes from reflection (JSON names, omitempty, pointers,
// embedding), the documentation and the values of string enums from the Go source.
//
// Mapping: numbers → number; string → string, or the union of its constants for a named string
// type; bool → boolean; *T → T | null; []T → T[] (T[] | null for backend/wire fields the server
// may send as null); map[string]T → Record<string, T>; json.RawMessage → unknown; an embedded
// struct → extends; omitempty → an optional field.
package tsgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Generator collects types and writes them.
type Generator struct {
	// Rename gives a Go type another TypeScript name (wire.Error → WireError).
	Rename map[string]string
	// Open lists named string types whose constants are a known list, not a closed set: the
	// type stays string and the list is written as a constant (error codes: the server may add
	// one the UI does not know yet, and shows its message then).
	Open map[string]bool
	// NullableSlicesFrom names packages whose slices may arrive as null (non-omitempty nil).
	NullableSlicesFrom map[string]bool

	enums map[string][]string // "pkgpath.Type" → constant values, in source order
	docs  map[string]string   // "pkgpath.Type" and "pkgpath.Type.Field" → doc comment
	seen  map[reflect.Type]bool
	order []reflect.Type
}

// New returns an empty generator.
func New() *Generator {
	return &Generator{Rename: map[string]string{}, Open: map[string]bool{}, NullableSlicesFrom: map[string]bool{},
		enums: map[string][]string{}, docs: map[string]string{}, seen: map[reflect.Type]bool{}}
}

// Parse reads the Go files of the package at dir (import path pkgPath) for doc comments and
// the constants of named string types.
func (g *Generator) Parse(dir, pkgPath string) error {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			return err
		}
		{
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok {
					continue
				}
				switch gd.Tok {
				case token.TYPE:
					for _, sp := range gd.Specs {
						ts := sp.(*ast.TypeSpec)
						doc := ts.Doc
						if doc == nil && len(gd.Specs) == 1 {
							doc = gd.Doc
						}
						g.docs[pkgPath+"."+ts.Name.Name] = text(doc)
						if st, ok := ts.Type.(*ast.StructType); ok {
							for _, fl := range st.Fields.List {
								c := text(fl.Doc)
								if c == "" {
									c = text(fl.Comment)
								}
								for _, n := range fl.Names {
									g.docs[pkgPath+"."+ts.Name.Name+"."+n.Name] = c
								}
							}
						}
					}
				case token.CONST:
					for _, sp := range gd.Specs {
						vs := sp.(*ast.ValueSpec)
						var typ string
						switch t := vs.Type.(type) {
						case *ast.Ident:
							typ = t.Name
						case *ast.SelectorExpr: // a type of another package: wire.Code
							if x, ok := t.X.(*ast.Ident); ok {
								typ = x.Name + "." + t.Sel.Name
							}
						default: // untyped, or a type this generator does not list
							typ = ""
						}
						if typ == "" || len(vs.Values) != len(vs.Names) {
							continue
						}
						for _, v := range vs.Values {
							if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
								s, _ := strconv.Unquote(lit.Value)
								g.enums[pkgPath+"."+typ] = append(g.enums[pkgPath+"."+typ], s)
							}
						}
					}
				}
			}
		}
	}
	return nil
}

// Values are the constants of a named string type found by Parse, for lists the caller merges
// (e.g. the error codes of several packages).
func (g *Generator) Values(pkgPath, typ string) []string { return g.enums[pkgPath+"."+typ] }

func text(c *ast.CommentGroup) string {
	if c == nil {
		return ""
	}
	return strings.TrimSpace(c.Text())
}

// Add registers types (and every type they use) to be written.
func (g *Generator) Add(types ...reflect.Type) {
	for _, t := range types {
		g.add(t)
	}
}

func (g *Generator) add(t reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.PkgPath() == "" || g.seen[t] || t == rawMessage {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		g.seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				g.add(f.Type)
			}
		}
		g.order = append(g.order, t)
	case reflect.String:
		g.seen[t] = true
		g.order = append(g.order, t)
	}
}

var rawMessage = reflect.TypeOf(json.RawMessage{})

// Name is the TypeScript name of a registered Go type.
func (g *Generator) Name(t reflect.Type) string {
	if n, ok := g.Rename[t.Name()]; ok {
		return n
	}
	return t.Name()
}

// TS is the TypeScript type of a Go type (nullableSlice: a nil slice may arrive as null).
func (g *Generator) TS(t reflect.Type, nullableSlice bool) string {
	if t == rawMessage {
		return "unknown"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.TS(t.Elem(), false) + " | null"
	case reflect.Slice:
		el := g.TS(t.Elem(), false)
		if strings.Contains(el, " ") {
			el = "(" + el + ")"
		}
		if nullableSlice {
			return el + "[] | null"
		}
		return el + "[]"
	case reflect.Map:
		return "Record<string, " + g.TS(t.Elem(), false) + ">"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		if t.PkgPath() != "" && g.seen[t] {
			return g.Name(t)
		}
		return "string"
	case reflect.Struct:
		return g.Name(t)
	case reflect.Interface:
		return "unknown"
	}
	panic(fmt.Sprintf("tsgen: no TypeScript type for %s", t))
}

// Write writes every registered type, in dependency order.
func (g *Generator) Write() []byte {
	var b bytes.Buffer
	for _, t := range g.order {
		key := t.PkgPath() + "." + t.Name()
		writeDoc(&b, g.docs[key], "")
		if t.Kind() == reflect.String {
			vals := g.enums[key]
			if g.Open[t.Name()] || len(vals) == 0 {
				fmt.Fprintf(&b, "export type %s = string;\n\n", g.Name(t))
				continue
			}
			quoted := make([]string, len(vals))
			for i, v := range vals {
				quoted[i] = "'" + v + "'"
			}
			fmt.Fprintf(&b, "export type %s = %s;\n\n", g.Name(t), strings.Join(quoted, " | "))
			continue
		}
		var extends []string
		var fields bytes.Buffer
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				extends = append(extends, g.Name(f.Type))
				continue
			}
			if name == "" {
				name = f.Name
			}
			optional := strings.Contains(","+opts+",", ",omitempty,")
			writeDoc(&fields, g.docs[key+"."+f.Name], "  ")
			q := ""
			if optional {
				q = "?"
			}
			fmt.Fprintf(&fields, "  %s%s: %s;\n", name, q, g.TS(f.Type, g.NullableSlicesFrom[t.PkgPath()]))
		}
		ext := ""
		if len(extends) > 0 {
			ext = " extends " + strings.Join(extends, ", ")
		}
		fmt.Fprintf(&b, "export interface %s%s {\n%s}\n\n", g.Name(t), ext, fields.String())
	}
	return b.Bytes()
}

// List writes a constant array of strings and its element type.
func List(constName, typeName, doc string, values []string) []byte {
	vals := append([]string(nil), values...)
	sort.Strings(vals)
	var b bytes.Buffer
	writeDoc(&b, doc, "")
	fmt.Fprintf(&b, "export const %s = [\n", constName)
	for _, v := range vals {
		fmt.Fprintf(&b, "  '%s',\n", v)
	}
	fmt.Fprintf(&b, "] as const;\n\nexport type %s = (typeof %s)[number];\n\n", typeName, constName)
	return b.Bytes()
}

func writeDoc(b *bytes.Buffer, doc, indent string) {
	if doc == "" {
		return
	}
	lines := strings.Split(doc, "\n")
	if len(lines) == 1 {
		fmt.Fprintf(b, "%s/** %s */\n", indent, strings.ReplaceAll(lines[0], "*/", "*\\/"))
		return
	}
	fmt.Fprintf(b, "%s/**\n", indent)
	for _, l := range lines {
		fmt.Fprintf(b, "%s * %s\n", indent, strings.TrimRight(strings.ReplaceAll(l, "*/", "*\\/"), " "))
	}
	fmt.Fprintf(b, "%s */\n", indent)
}

// Bindings writes the Wails bindings of a bound struct's exported methods in the form Wails
// generates them (App.js calls window.go.<pkg>.<Type>.<Method>; App.d.ts types each call with
// the generated types, imported from typesModule).
func (g *Generator) Bindings(bound reflect.Type, pkg, typesModule string) (js, dts []byte) {
	var j, d bytes.Buffer
	header := "// This file is generated by `make types` (app/tsgen) from the Go methods of " + pkg + "." + bound.Elem().Name() + ". DO NOT EDIT.\n"
	j.WriteString("// @ts-check\n" + header)
	d.WriteString(header)
	var body bytes.Buffer
	errType := reflect.TypeOf((*error)(nil)).Elem()
	for i := 0; i < bound.NumMethod(); i++ {
		m := bound.Method(i)
		mt := m.Type
		var args, params []string
		for a := 1; a < mt.NumIn(); a++ {
			arg := fmt.Sprintf("arg%d", a)
			args = append(args, arg)
			params = append(params, arg+": "+qualify(g.TS(mt.In(a), false), g))
		}
		ret := "void"
		for r := 0; r < mt.NumOut(); r++ {
			if mt.Out(r) != errType {
				ret = qualify(g.TS(mt.Out(r), false), g)
			}
		}
		fmt.Fprintf(&j, "\nexport function %s(%s) {\n  return window['go']['%s']['%s']['%s'](%s);\n}\n",
			m.Name, strings.Join(args, ", "), pkg, bound.Elem().Name(), m.Name, strings.Join(args, ", "))
		fmt.Fprintf(&body, "\nexport function %s(%s): Promise<%s>;\n", m.Name, strings.Join(params, ", "), ret)
	}
	// A namespace import: a binding may share its name with a type (Inbox, Session).
	fmt.Fprintf(&d, "import type * as T from '%s';\n", typesModule)
	d.Write(body.Bytes())
	return j.Bytes(), d.Bytes()
}

// qualify prefixes the generated type names in a TypeScript type expression with T.
func qualify(ts string, g *Generator) string {
	known := map[string]bool{}
	for _, t := range g.order {
		known[g.Name(t)] = true
	}
	var b strings.Builder
	word := func(r rune) bool {
		return r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
	}
	for i := 0; i < len(ts); {
		j := i
		for j < len(ts) && word(rune(ts[j])) {
			j++
		}
		if j > i {
			if known[ts[i:j]] {
				b.WriteString("T.")
			}
			b.WriteString(ts[i:j])
			i = j
			continue
		}
		b.WriteByte(ts[i])
		i++
	}
	return b.String()
}
