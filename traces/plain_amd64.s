//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// decodePlain is decodeRun's plain path (decode.go), written out: the Go
// compiler spills that loop's state on every record (about 120 instructions
// a record against about 50 here). It decodes a record only once it knows
// the record is whole and plain (every varint ends within its bytes), so it
// stops before a record it does not take without changing any state.
//
// Registers: SI the record, R8 the end of the record starts, DI the event,
// R9 the end of the events, R10 the CPU's state, R11 the op table, R12 the
// codec state; BX the head byte, CX its op's opInfo, DX the record's length
// so far, AX the address delta or arg, R13-R15 scratch.

// func decodePlain(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int) (used, evBytes int)
TEXT ·decodePlain(SB), NOSPLIT, $0-64
	MOVQ st+0(FP), R12
	MOVQ c+8(FP), R10
	MOVQ w+16(FP), SI
	MOVQ wn+24(FP), R8
	ADDQ SI, R8
	MOVQ ev+32(FP), DI
	MOVQ evn+40(FP), R9
	IMULQ $Event__size, R9
	ADDQ DI, R9
	MOVQ codecState_infos(R12), R11

loop:
	CMPQ SI, R8
	JAE  done
	CMPQ DI, R9
	JAE  done
	MOVBQZX (SI), BX
	CMPQ BX, $const_headExt
	JAE  done // an extension byte
	TESTQ BX, BX
	JEQ  done
	MOVQ BX, AX
	ANDQ $const_headOp, AX
	LEAQ (AX)(AX*8), CX
	LEAQ (R11)(CX*8), CX // &infos[op] (opInfo__size is 72)
	MOVBQZX opInfo_head(CX), DX
	NOTQ DX
	TESTQ BX, DX
	JNE  done // a bit the op has no field for: decodeRun reports it

	// The time delta, into R13.
	MOVQ $1, DX
	XORQ R13, R13
	TESTQ $const_headTime, BX
	JEQ  timed
	MOVBQZX 1(SI), R13
	MOVQ $2, DX
	CMPQ R13, $0x80
	JB   timed
	MOVBQZX 2(SI), R14
	CMPQ R14, $0x80
	JAE  done // three bytes or more
	ANDQ $0x7f, R13
	SHLQ $7, R14
	ORQ  R14, R13
	MOVQ $3, DX

timed:
	// The arg, or the address delta if there is one, into AX (else 0):
	// varintWord.
	XORQ AX, AX
	CMPB opInfo_hasArg(CX), $0
	JNE  word
	CMPB opInfo_kind(CX), $const_kindNone
	JEQ  decoded
	TESTQ $const_headAddr, BX
	JEQ  decoded

word:
	MOVQ (SI)(DX*1), AX
	MOVQ AX, R14
	NOTQ R14
	MOVQ $0x8080808080808080, R15
	ANDQ R15, R14 // the high bit of each byte that ends a varint
	JEQ  done     // longer than eight bytes
	LEAQ -1(R14), R15
	XORQ R14, R15
	ANDQ R15, AX
	MOVQ $0x7f7f7f7f7f7f7f7f, R15
	ANDQ R15, AX // its bytes, without their high bits
	BSFQ R14, R14
	INCQ R14
	SHRQ $3, R14
	ADDQ R14, DX
	MOVQ $0x007f007f007f007f, R15
	MOVQ AX, R14
	ANDQ R15, R14
	XORQ R14, AX
	SHRQ $1, AX
	ORQ  R14, AX
	MOVQ $0x00003fff00003fff, R15
	MOVQ AX, R14
	ANDQ R15, R14
	XORQ R14, AX
	SHRQ $2, AX
	ORQ  R14, AX
	MOVQ AX, R14
	ANDQ $0x0fffffff, R14
	XORQ R14, AX
	SHRQ $4, AX
	ORQ  R14, AX

decoded:
	// The record is whole: from here on state changes.
	ADDQ R13, cpuState_time(R10)
	MOVQ cpuState_time(R10), R13
	MOVQ R13, Event_Time(DI)
	MOVL codecState_cpu(R12), R13
	MOVL R13, Event_CPU(DI)
	MOVL cpuState_pid(R10), R13
	MOVL R13, Event_PID(DI)
	MOVQ BX, R15
	ANDQ $const_headOp, R15
	MOVB R15, Event_Op(DI)
	MOVB (opInfo_def+Event_Flags)(CX), R13
	MOVB R13, Event_Flags(DI)
	XORL R13, R13
	CMPB opInfo_site(CX), $0
	JEQ  nosite
	MOVL codecState_site(R12)(R15*4), R13

nosite:
	MOVL R13, Event_Site(DI)
	MOVL codecState_extra(R12)(R15*4), R13
	MOVL R13, Event_Extra(DI)
	CMPB opInfo_kind(CX), $const_kindNone
	JEQ  noaddr

	// The address: predicted for the op's slot, plus the zigzag delta.
	MOVBQZX opInfo_slot(CX), R13
	ANDQ $const_numSlots-1, R13
	MOVQ cpuState_next(R10)(R13*8), R14
	TESTQ $const_headAddr, BX
	JEQ  predicted
	MOVQ AX, R15
	SHRQ $1, R15
	ANDQ $1, AX
	NEGQ AX
	XORQ R15, AX
	ADDQ AX, R14

predicted:
	MOVQ R14, Event_Addr(DI)
	ADDQ cpuState_step(R10)(R13*8), R14
	MOVQ R14, cpuState_next(R10)(R13*8)
	MOVBQZX cpuState_shift(R10)(R13*1), R14
	MOVB R14, Event_Shift(DI)
	MOVBQZX opInfo_mmSlot(CX), R13
	ANDQ $const_numSlots-1, R13
	MOVL cpuState_mm(R10)(R13*4), R14
	MOVL R14, Event_MM(DI)
	MOVL (opInfo_def+Event_Nr)(CX), R14
	MOVL R14, Event_Nr(DI)
	MOVQ $0, Event_Arg(DI)
	JMP  next

noaddr:
	MOVQ $0, Event_Addr(DI)
	MOVL $0, Event_MM(DI)
	MOVL $0, Event_Nr(DI)
	MOVB $0, Event_Shift(DI)
	MOVQ AX, Event_Arg(DI)
	CMPQ R15, $const_OpSwitch
	JNE  next
	MOVL AX, cpuState_pid(R10) // a switch: the next task runs

next:
	ADDQ DX, SI
	ADDQ $Event__size, DI
	JMP  loop

done:
	SUBQ w+16(FP), SI
	MOVQ SI, used+48(FP)
	SUBQ ev+32(FP), DI
	MOVQ DI, evBytes+56(FP)
	RET
