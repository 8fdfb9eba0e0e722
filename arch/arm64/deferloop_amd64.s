//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// func deferLoop(evs []traces.Event, who uint64, room []arch.PendingEntry, s *deferLoopState) int
//
// deferLoopGo (deferloop.go), written out. Registers: SI the event, DI the
// end of evs, R8 who, R9 the next free entry of room, R10 the PTE stores,
// R11 the flag, R12 runOp, R13 s, R14 the events done; X0 now, X1
// modeled, X2 pte_write_ns, X5 the update's cost. The costs are added in
// deferLoopGo's order, with no fused multiply-add: the sums are its own to
// the bit. traces.Event: Addr 8, CPU 24, PID 28, MM 32, Nr 36, Op 48,
// Flags 49, Shift 50, size 56; arch.PendingEntry: addr 0, T 8, mm 16, nr 20,
// shift 24, size 32 (deferloop_amd64.go and arch check them).
TEXT ·deferLoop(SB), NOSPLIT, $0-72
	MOVQ evs_base+0(FP), SI
	MOVQ evs_len+8(FP), DI
	IMUL3Q $56, DI, DI
	ADDQ SI, DI
	MOVQ who+24(FP), R8
	MOVQ room_base+32(FP), R9
	MOVQ s+56(FP), R13
	LEAQ ·runOp(SB), R12
	MOVSD deferLoopState_now(R13), X0
	MOVSD deferLoopState_modeled(R13), X1
	MOVSD deferLoopState_pte(R13), X2
	MOVQ deferLoopState_flag(R13), R11
	XORQ R10, R10
	XORQ R14, R14
	MOVQ R9, R15

loop:
	CMPQ SI, DI
	JAE  end
	MOVBLZX 48(SI), AX
	MOVBLZX (R12)(AX*1), AX
	TESTL $const_runUpdate, AX
	JEQ  end
	CMPQ 24(SI), R8
	JNE  end

	// n = max(Nr, 1) stores: their count and cost.
	MOVL 36(SI), CX
	MOVL $1, DX
	TESTL CX, CX
	CMOVLEQ DX, CX
	ADDQ CX, R10
	XORPS X5, X5
	CVTSQ2SD CX, X5
	MULSD X2, X5

	// The barrier bit: a barrier op, mm 0 and valid.
	SHRL $1, AX
	MOVL 32(SI), BX
	XORL DX, DX
	TESTL BX, BX
	SETEQ DX
	ANDL DX, AX
	MOVBLZX 49(SI), DX
	ANDL DX, AX
	ANDL $1, AX

	// The first barrier of the section (PENDING not set yet).
	MOVL R11, DX
	NOTL DX
	ANDL AX, DX
	ORL  AX, R11

	ADDSD deferLoopState_check(R13)(AX*8), X5
	ADDSD deferLoopState_set(R13)(DX*8), X5

	// The entry, kept if the bit is set.
	MOVQ 8(SI), CX
	MOVQ CX, 0(R9)
	MOVAPD X0, X6
	ADDSD X5, X6
	MOVSD X6, 8(R9)
	MOVL BX, 16(R9)
	MOVL 36(SI), CX
	MOVL CX, 20(R9)
	MOVB 50(SI), CX
	MOVB CX, 24(R9)
	SHLQ $5, AX
	ADDQ AX, R9

	ADDSD X5, X0
	ADDSD X5, X1
	ADDQ $56, SI
	INCQ R14
	JMP  loop

end:
	MOVSD X0, deferLoopState_now(R13)
	MOVSD X1, deferLoopState_modeled(R13)
	MOVQ R11, deferLoopState_flag(R13)
	MOVQ R10, deferLoopState_ptes(R13)
	SUBQ R15, R9
	SHRQ $5, R9
	MOVQ R9, deferLoopState_kept(R13)
	MOVQ R14, ret+64(FP)
	RET
