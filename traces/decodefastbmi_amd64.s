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

// func decodeFastBMI(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int, nstr int) (used, evBytes int)
TEXT ·decodeFastBMI(SB), NOSPLIT, $80-72
	MOVQ st+0(FP), R12
	MOVQ c+8(FP), R10
	MOVQ w+16(FP), SI
	MOVQ wn+24(FP), R8
	ADDQ SI, R8
	MOVQ R8, wend-8(SP)
	MOVQ ev+32(FP), DI
	MOVQ evn+40(FP), R9
	IMULQ $Event__size, R9
	ADDQ DI, R9
	MOVQ R9, evend-16(SP)
	MOVQ nstr+48(FP), R9
	MOVQ R9, nstrv-80(SP)
	MOVQ codecState_infos(R12), R11

#include "decodefast_amd64.h"

done:
	SUBQ w+16(FP), SI
	MOVQ SI, used+56(FP)
	SUBQ ev+32(FP), DI
	MOVQ DI, evBytes+64(FP)
	RET
