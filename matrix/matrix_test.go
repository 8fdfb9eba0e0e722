package matrix

import (
	"sync"
	"testing"
)

// ParallelDo runs every index on at least one goroutine, whatever workers
// says (0 or less used to leave it waiting for a receiver forever).
func TestParallelDoNoWorkers(t *testing.T) {
	for _, workers := range []int{-1, 0, 1, 4} {
		var mu sync.Mutex
		seen := map[int]bool{}
		err := ParallelDo(5, workers, func(_, i int) error {
			mu.Lock()
			seen[i] = true
			mu.Unlock()
			return nil
		})
		if err != nil || len(seen) != 5 {
			t.Errorf("workers %d: %d of 5 done, error %v", workers, len(seen), err)
		}
	}
}
