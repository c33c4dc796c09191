"""The capture stage's parts, one concern per module (private; the public face is :mod:`gradviz.capture`).

* :mod:`.session`   shared state: the trace, the event counter, the re-entry guard, hook patching
* :mod:`.frames`    which files are the user's, and the user's stack at an event
* :mod:`.ops`       the op callback: every op, eager or traced, with its tape state
* :mod:`.tapes`     ``GradientTape`` hooks and the gradient calls' true results
* :mod:`.variables` variable creation, Keras layer attribution, reads inside C++ and state reads
* :mod:`.functions` ``tf.function`` graphs: calls, bodies traced before capture, autograph line maps
* :mod:`.exports`   values leaving TensorFlow (``.numpy()``, ``float()``, ``model.predict``)
* :mod:`.private_apis` the private TensorFlow / Keras names each hook relies on (one table)

Every module here may import TensorFlow; nothing outside ``gradviz.capture`` and this package does.
"""
