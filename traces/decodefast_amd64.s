//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// decodeFast for any amd64 CPU; decodefastbmi_amd64.s is the same body
// with BMI1 and BMI2 instructions.

// VSTOP keeps in AX the 7-bit groups of the varint that AX's bytes start
// with and puts its length in bytes in R14 (done if it is longer than 8).
#define VSTOP \
	MOVQ AX, R14; \
	NOTQ R14; \
	MOVQ $0x8080808080808080, R15; \
	ANDQ R15, R14; \
	JEQ  done; \
	LEAQ -1(R14), R15; \
	XORQ R14, R15; \
	ANDQ R15, AX; \
	MOVQ $0x7f7f7f7f7f7f7f7f, R15; \
	ANDQ R15, AX; \
	BSFQ R14, R14; \
	INCQ R14; \
	SHRQ $3, R14

// VJOIN joins the 7-bit groups in AX into the varint's value.
#define VJOIN \
	MOVQ $0x007f007f007f007f, R15; \
	MOVQ AX, R14; \
	ANDQ R15, R14; \
	XORQ R14, AX; \
	SHRQ $1, AX; \
	ORQ  R14, AX; \
	MOVQ $0x00003fff00003fff, R15; \
	MOVQ AX, R14; \
	ANDQ R15, R14; \
	XORQ R14, AX; \
	SHRQ $2, AX; \
	ORQ  R14, AX; \
	MOVQ AX, R14; \
	ANDQ $0x0fffffff, R14; \
	XORQ R14, AX; \
	SHRQ $4, AX; \
	ORQ  R14, AX

// ADDRDELTA is the address records' WORD: the input and the length masked
// by R9 (all ones with the A bit, 0 without), so that without A the delta
// is 0 and no byte is used.
#define ADDRDELTA \
	MOVQ (SI)(DX*1), AX; \
	ANDQ R9, AX; \
	VSTOP; \
	ANDQ R9, R14; \
	ADDQ R14, DX; \
	VJOIN

// func decodeFast(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int, nstr int) (used, evBytes int)
TEXT ·decodeFast(SB), NOSPLIT, $80-72
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
