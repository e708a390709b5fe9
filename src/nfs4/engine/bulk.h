/* Where a COMPOUND's WRITE data sits, found before the record has arrived
 * (struct rpc_program's find_bulk): rpc may then move those bytes from the
 * socket into a pipe and on into the file, never through a buffer of ours. */
#ifndef FERRY_NFS4_ENGINE_BULK_H
#define FERRY_NFS4_ENGINE_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* WRITEs with less data than this are read into memory as any request:
 * a pipe's set-up costs more than copying a small payload. */
enum { NFS4_BULK_WRITE_MIN = 64 * 1024 };

/* Given the first `have` bytes of COMPOUND4args (args_len in all), finds the
 * data of its first WRITE, reached through operations the finder can skip
 * without their data (SEQUENCE, PUTFH, PUTROOTFH): its offset from the
 * arguments' start and its length, which lie within args_len.  False for
 * anything else: too few bytes, malformed input, another operation first,
 * a WRITE of less than NFS4_BULK_WRITE_MIN.  Bounds-safe on any input. */
bool nfs4_bulk_find_write(const uint8_t *args, size_t have, size_t args_len, size_t *data_off,
			  size_t *data_len);

/* struct rpc_program's find_bulk for the NFSv4 program: COMPOUND only. */
bool nfs4_bulk_find(void *ctx, uint32_t vers, uint32_t proc, const uint8_t *args, size_t have,
		    size_t args_len, size_t *bulk_off, size_t *bulk_len);

#endif
