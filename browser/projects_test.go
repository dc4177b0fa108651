package browser

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// test: the starter app's two #[test]s run as cargo test runs them, each
// shown with its status and its own output, then the counts.
func TestTestHarnessShowsEachTest(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")),
		chromedp.SetValue(chromedp.ID("harness"), "test"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("harness").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.ID("filter")),
	)
	require.Contains(t, editorText(t, ctx), "mod tests")
	pressRun(t, ctx)
	assert.Equal(t, "ok", waitResult(t, ctx))
	tests := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#results .tests li"), li => li.querySelector(".test-status").textContent + " " + li.querySelector(".test-name").textContent)`)
	assert.Equal(t, []string{"ok tests::hello_greets_by_name", "ok tests::unknown_path_is_404"}, tests)
	assert.Contains(t, eval[string](t, ctx, `document.querySelector("#results .tests li:nth-child(2) details pre").textContent`),
		"status: 404 Not Found", "the test's own captured output")
	assert.Equal(t, "Test result: 2 passed; 0 failed; 0 ignored.", text(t, ctx, "#results .test-summary"))
	assert.Contains(t, text(t, ctx, "#results .verdict"), "passed")
}

// A second file: the user adds src/greet.rs by its tab, writes a module
// in it, goes back to src/main.rs with the arrow key, and the run (sent
// as a project's files) uses the module.
func TestSecondFileIsPartOfTheRun(t *testing.T) {
	ctx := withGreetModule(t, "mod greet;\n\nfn main() {\n    println!(\"{}\", greet::greet(\"files\"));\n}\n",
		"pub fn greet(name: &str) -> String {\n    format!(\"Hello from a module, {name}!\")\n}\n")

	// Back to src/main.rs with the keyboard: the tablist's arrow keys.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#file-tabs [aria-selected=true]").focus()`), chromedp.KeyEvent(kb.ArrowLeft))
	assert.Equal(t, "src/main.rs", eval[string](t, ctx, `document.activeElement.textContent`))
	assert.Contains(t, editorText(t, ctx), "mod greet;", "the editor shows src/main.rs again")

	pressRun(t, ctx)
	assert.Equal(t, "ok", waitResult(t, ctx))
	assert.Contains(t, text(t, ctx, "#results .stream pre"), "Hello from a module, files!")
}

// A compile error in another file is listed with that file's name, and
// clicking it opens the file's tab with the cursor on the line.
func TestDiagnosticInAnotherFileOpensIt(t *testing.T) {
	ctx := withGreetModule(t, "mod greet;\n\nfn main() {\n    println!(\"{}\", greet::greet());\n}\n",
		"pub fn greet() -> String {\n    let n: i32 = \"one\";\n    n.to_string()\n}\n")
	do(t, ctx, chromedp.Click(chromedp.CSS(`#file-tabs [data-file="src/main.rs"]`)))
	pressRun(t, ctx)
	assert.Equal(t, "compile_error", waitResult(t, ctx))
	diag := text(t, ctx, "#results .diagnostics button.diag-error")
	assert.True(t, strings.HasPrefix(diag, "src/greet.rs:2:"), "%q", diag)

	do(t, ctx, chromedp.Click(chromedp.CSS("#results .diagnostics button.diag-error")))
	assert.Equal(t, "src/greet.rs", text(t, ctx, `#file-tabs [aria-selected="true"]`), "the file's tab is open")
	assert.Contains(t, editorText(t, ctx), "let n: i32 = \"one\";")
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".cm-lintRange-error")))
	line := eval[int](t, ctx, `Array.from(document.querySelectorAll("#editor .cm-line")).findIndex(l => l.querySelector(".cm-lintRange-error")) + 1`)
	assert.Equal(t, 2, line, "marked in that file, on its line 2")
}

// withGreetModule opens the playground with mainRS typed into src/main.rs
// and src/greet.rs added by its name (its tab then selected) holding greetRS.
func withGreetModule(t *testing.T, mainRS, greetRS string) context.Context {
	t.Helper()
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	typeInEditor(t, ctx, mainRS)
	do(t, ctx, chromedp.SetValue(chromedp.ID("file-name"), "src/greet.rs"), chromedp.Click(chromedp.ID("add-file")))
	tabs := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#file-tabs [role=tab]"), b => b.textContent + ":" + b.getAttribute("aria-selected"))`)
	require.Equal(t, []string{"src/main.rs:false", "src/greet.rs:true"}, tabs, "the new file's tab is selected")
	typeInEditor(t, ctx, greetRS)
	return ctx
}
