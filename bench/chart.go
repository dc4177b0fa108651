package bench

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Bar is one bar of a chart: a label and a value in milliseconds.
type Bar struct {
	Group, Label string
	Ms           float64
}

// WriteBarChart draws horizontal bars on a log10 scale (the values span
// from well under a millisecond to seconds) and writes a PNG.
func WriteBarChart(path, title string, bars []Bar) error {
	const width, rowH, left, top = 900, 22, 260, 40
	height := top + rowH*len(bars) + 40
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.White}, image.Point{}, draw.Src)
	text := func(x, y int, s string, c color.Color) {
		d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	text(10, 20, title, color.Black)
	lo, hi := 0.01, 1.0
	for _, b := range bars {
		hi = math.Max(hi, b.Ms)
	}
	span := math.Log10(hi*2) - math.Log10(lo)
	scale := func(ms float64) int {
		ms = math.Max(ms, lo)
		return int(float64(width-left-80) * (math.Log10(ms) - math.Log10(lo)) / span)
	}
	palette := []color.Color{color.RGBA{66, 133, 244, 255}, color.RGBA{219, 68, 55, 255}, color.RGBA{244, 180, 0, 255}, color.RGBA{15, 157, 88, 255}}
	groups := map[string]int{}
	for i, b := range bars {
		if _, ok := groups[b.Group]; !ok {
			groups[b.Group] = len(groups)
		}
		y := top + i*rowH
		text(10, y+15, b.Label, color.Black)
		w := scale(b.Ms)
		draw.Draw(img, image.Rect(left, y+3, left+w, y+rowH-3), &image.Uniform{palette[groups[b.Group]%len(palette)]}, image.Point{}, draw.Src)
		text(left+w+6, y+15, formatMs(b.Ms), color.Black)
	}
	text(left, height-12, "milliseconds, log scale (0.01 ms at the left edge)", color.Gray{Y: 90})
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return png.Encode(f, img)
}

func formatMs(ms float64) string {
	prec := 2
	if ms >= 100 {
		prec = 0
	}
	return strconv.FormatFloat(ms, 'f', prec, 64) + " ms"
}
