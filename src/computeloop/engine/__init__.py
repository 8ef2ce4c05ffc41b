"""Pure, vectorized simulation engine: arrays in, arrays out; no I/O."""

from computeloop.engine.core import EngineOutput, run_engine
from computeloop.engine.inputs import EngineInputs, compile_inputs

__all__ = ["EngineInputs", "EngineOutput", "compile_inputs", "run_engine"]
