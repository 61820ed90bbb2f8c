// Declares libFuzzer's LLVMFuzzerMutate for Swift (CTriageFuzz.h); nothing to compile.
#include "CTriageFuzz.h"
