package rustdoc

// Lines numbers the lines of src as they are (no hidden lines), for a
// harness that compiles src unchanged.
func Lines(src string) []Line { return blockLines(src) }

// Balanced reports whether lines, as one text, lex as Rust code whose
// delimiters all close within it: no comment, string or character
// literal left open, and no `)`, `]` or `}` closing what the text did not
// open. A harness that puts the text inside its own item (the mock
// harness's `mod app { ... }`) needs exactly this, or the text could
// close the item early and write the harness's code itself.
func Balanced(lines []Line) bool {
	_, ok := lexRust(joinTexts(lines))
	return ok
}
