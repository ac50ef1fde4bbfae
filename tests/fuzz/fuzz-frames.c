/* Fuzz input to message frames (fuzz-frames.h). */
#include <stdlib.h>
#include <string.h>

#include "fuzz-frames.h"
#include "xmalloc.h"

int
fuzz_frames_split(const uint8_t *data, size_t size, struct fuzz_frames *fr)
{
	const uint8_t *p, *end = data + size, *sep;

	memset(fr, 0, sizeof *fr);
	if (size == 0)
		return -1;
	for (p = data + 1;; p = sep + 1) {
		sep = memchr(p, data[0], (size_t)(end - p));
		if (sep == NULL)
			sep = end;
		if (fr->n == BUS_SOCK_MAX_FRAMES)
			fr->truncated = 1;
		else {
			size_t len = (size_t)(sep - p);
			void *copy = xmalloc(len);
			memcpy(copy, p, len);
			fr->f[fr->n].data = copy;
			fr->f[fr->n].size = len;
			fr->n++;
		}
		if (sep == end)
			return 0;
	}
}

void
fuzz_frames_free(struct fuzz_frames *fr)
{
	for (size_t i = 0; i < fr->n; i++)
		free((void *)fr->f[i].data);
	fr->n = 0;
}
