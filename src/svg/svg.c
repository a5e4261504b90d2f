/* See svg.h. */
#include "svg.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

void xr_svg_begin(FILE *o, int width, int height, const char *title)
{
	/* width/height and a viewBox: a browser shows it at its size, and
	 * scales it when the window is narrower. Generic font names only: a
	 * font file or a web font would be a resource outside the file. */
	fprintf(o,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\" "
		"font-size=\"13\">\n<title>",
		width, height, width, height);
	xr_svg_escape(o, title);
	fprintf(o,
		"</title>\n<rect width=\"%d\" height=\"%d\" "
		"fill=\"white\"/>\n",
		width, height);
}

void xr_svg_end(FILE *o)
{
	fputs("</svg>\n", o);
}

void xr_svg_escape(FILE *o, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&':
			fputs("&amp;", o);
			break;
		case '<':
			fputs("&lt;", o);
			break;
		case '>':
			fputs("&gt;", o);
			break;
		case '"':
			fputs("&quot;", o);
			break;
		case '\'':
			fputs("&apos;", o);
			break;
		default:
			fputc(c < 0x20 && c != '\t' ? '?' : c, o);
		}
	}
}

void xr_svg_text(FILE *o, double x, double y, const char *attrs,
		 const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(o, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y,
		attrs[0] != '\0' ? " " : "", attrs);
	xr_svg_escape(o, buf);
	fputs("</text>\n", o);
}

double xr_svg_tick_step(double span, int max_ticks)
{
	double raw = span / (max_ticks > 1 ? max_ticks : 1);
	double p = pow(10.0, floor(log10(raw)));
	static const double mult[] = {1, 2, 5, 10};
	for (size_t i = 0; i < sizeof mult / sizeof mult[0]; i++)
		if (mult[i] * p >= raw)
			return mult[i] * p;
	return 10 * p;
}

double xr_svg_legend_line(FILE *o, double x, double y, const char *colour,
			  double width, const char *dash, const char *label)
{
	fprintf(o,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"%s\" stroke-width=\"%.1f\"",
		x, y - 4, x + 28, y - 4, colour, width);
	if (dash != NULL)
		fprintf(o, " stroke-dasharray=\"%s\"", dash);
	fputs("/>\n", o);
	xr_svg_text(o, x + 34, y, "font-size=\"12\"", "%s", label);
	/* ~6.8 units per character at size 12 in DejaVu Sans, and a gap. */
	return x + 34 + 6.8 * (double)strlen(label) + 22;
}
