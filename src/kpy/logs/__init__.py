"""``kpy logs``: container logs of many pods, followed through restarts, rotations and cut streams.

Pure cores: :mod:`kpy.logs.stamps` (the kubelet's timestamps), :mod:`kpy.logs.resume` (the cursor that resumes
a stream with ``sinceTime``, drops the lines already printed at the boundary and detects gaps),
:mod:`kpy.logs.render` (prefixes, colours, JSON). I/O: :mod:`kpy.logs.targets` (which pods and containers),
:mod:`kpy.logs.follower` (one list+watch of the pods) and :mod:`kpy.logs.stream` (one resumable stream per
container); :mod:`kpy.logs.snapshot` reads without -f.
"""
