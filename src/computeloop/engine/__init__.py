"""Pure, vectorized simulation engine: arrays in, arrays out; no I/O."""

from computeloop.engine.core import EngineOutput, run_engine
from computeloop.engine.inputs import EngineInputs, MarketShocks, compile_inputs

__all__ = ["EngineInputs", "EngineOutput", "MarketShocks", "compile_inputs", "run_engine"]
