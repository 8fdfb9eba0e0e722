//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// decodeFastBMI is decodeFast (decodefast_amd64.s) with BMI1 and BMI2
// instructions, for the CPUs where PEXT is fast (fastBMI): a varint's
// groups joined by one PEXT, its stop byte found by ANDN and TZCNT, and
// the address records' length computed from the word as loaded, so that
// the next record's start waits only on that load and not on the head
// byte's. Its values and stops are decodeFast's (TestDecodeAsm and the
// fuzz targets compare both with the Go decoder).

#define DECODEFAST ·decodeFastBMI

// VSTOP keeps in AX the 7-bit groups (and the high bits) of the varint
// that AX's bytes start with and puts its length in bytes in R14 (done if
// it is longer than 8).
#define VSTOP \
	MOVQ $0x8080808080808080, R15; \
	ANDNQ R15, AX, R14; \
	JEQ  done; \
	BLSMSKQ R14, R15; \
	ANDQ R15, AX; \
	TZCNTQ R14, R14; \
	SHRQ $3, R14; \
	INCQ R14

// VJOIN joins the 7-bit groups in AX into the varint's value.
#define VJOIN \
	MOVQ $0x7f7f7f7f7f7f7f7f, R15; \
	PEXTQ R15, AX, AX

// ADDRDELTA is the address records' WORD without a branch on A (R9 all
// ones with the A bit, 0 without): the length from the word as loaded
// (masked by R9 after, so without A no byte is used) into BX, free on this
// path, and added to SI here; the value from the word masked by R9 (0
// without A), checked for a stop byte and joined. DX is 0 after.
#define ADDRDELTA \
	MOVQ (SI)(DX*1), AX; \
	MOVQ $0x8080808080808080, R15; \
	ANDNQ R15, AX, BX; \
	TZCNTQ BX, BX; \
	SHRQ $3, BX; \
	ANDQ R9, BX; \
	SUBQ R9, DX; \
	ANDQ R9, AX; \
	ANDNQ R15, AX, R14; \
	JEQ  done; \
	BLSMSKQ R14, R15; \
	ANDQ R15, AX; \
	VJOIN; \
	ADDQ DX, SI; \
	ADDQ BX, SI; \
	XORQ DX, DX

#include "decodefast_amd64.h"
