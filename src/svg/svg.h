/* The little SVG writing that `xroadctl trace --svg` and `xroad-sim
 * --compare-light --svg` share: the document (white background, one font
 * for every text, no external resource, so a browser shows the file alone),
 * XML-escaped text, axis ticks at round numbers, and legend entries. Each
 * picture draws its own content; this only keeps the two from each carrying
 * a copy of the same escaping and axes.
 *
 * Every function writes to `o` and leaves error checking to the caller
 * (ferror() once at the end, as stdio allows). */
#ifndef XR_SVG_H
#define XR_SVG_H

#include <stdio.h>

/* Opens the document: width x height user units (= CSS px), a white
 * background and `title` (escaped) as its <title>. */
void xr_svg_begin(FILE *o, int width, int height, const char *title);
void xr_svg_end(FILE *o);

/* `s` with &, <, >, " and ' escaped; control characters other than tab
 * become '?', since XML 1.0 cannot carry them at all. */
void xr_svg_escape(FILE *o, const char *s);

/* <text x y ATTRS>escaped text</text>; `attrs` is written as given (the
 * caller's constant attributes, e.g. "font-size=\"12\""), may be "". The
 * text is printf-formatted first (at most 1 KB, cut beyond). */
void xr_svg_text(FILE *o, double x, double y, const char *attrs,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The step between ticks for an axis spanning `span` units with at most
 * `max_ticks` ticks: 1, 2 or 5 times a power of ten (0 < span). */
double xr_svg_tick_step(double span, int max_ticks);

/* A legend entry at (x, y): a 28-unit line sample in `colour` (dashed when
 * `dash` is not NULL: a stroke-dasharray value), then `label`. Returns the
 * x where the next entry on the same row may start (label width estimated
 * from its length at font-size 12). */
double xr_svg_legend_line(FILE *o, double x, double y, const char *colour,
			  double width, const char *dash, const char *label);

#endif
