"""What a network is: activations (f, f'), costs (BP1), the structure object (parameter
layout, views, fan-in, penalised weights, configuration), accuracy, argument validation.
Imports nothing else of fastnn."""
