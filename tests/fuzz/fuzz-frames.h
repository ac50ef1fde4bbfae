/*
 * One fuzz input as the frames of one ZeroMQ message, for the targets that
 * take messages (fuzz-codec, fuzz-request).
 *
 * Layout: the first byte is the separator, and the rest of the input is
 * split at each occurrence of it, so "|incident|{...}" is the two frames
 * "incident" and "{...}", "|x" one frame, "|a||b" three (the middle one
 * empty). Any frame contents can be written by choosing a separator they do
 * not hold, and the seeds stay readable. As bus_sock_recv() does, at most
 * BUS_SOCK_MAX_FRAMES frames are kept and more set "truncated".
 *
 * Each frame is copied to a heap block of exactly its size, so that
 * AddressSanitizer sees a read past its end (in the input it would only
 * touch the next separator).
 */
#ifndef FUZZ_FRAMES_H
#define FUZZ_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "bus-codec.h"
#include "bus-sock.h"

struct fuzz_frames {
	struct bus_frame f[BUS_SOCK_MAX_FRAMES];
	size_t n;
	int truncated;
};

/* Split DATA into frames; 0, or -1 when it is empty (no separator). */
int  fuzz_frames_split(const uint8_t *data, size_t size, struct fuzz_frames *);
void fuzz_frames_free(struct fuzz_frames *);

#endif
