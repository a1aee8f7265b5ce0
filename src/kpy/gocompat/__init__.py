"""Go and apimachinery behaviour kpy reproduces byte for byte, in one place.

- :mod:`.duration`: Go's ``time.ParseDuration`` (with its error texts) and ``Duration.String``, and pflag's
  wording for a bad duration flag.
- :mod:`.metav1`: ``metav1.Time``/``MicroTime`` formatting and parsing, the ``metav1.Status`` body.
- :mod:`.gojson` (+ :mod:`.jsonscan`): ``encoding/json`` decoding with Go's limits and error messages,
  ``json.Marshal``; :mod:`.jsonindent`: ``json.MarshalIndent`` as kubectl's ``-o json`` prints it.
- :mod:`.gosort`: Go's ``sort.Sort`` (pdqsort), for kubectl's order of equal elements.
- :mod:`.clock`: the one clock protocol (wall and monotonic time, sleep) every engine takes, real or fake.

Importing this package imports nothing else: each module is loaded when used.
"""
