import Distributed
import Foundation

// A multi-process check of the MPI layer: every rank contributes (rank + 1, 1) and verifies the
// sum. Exit 0 when every rank agrees with the closed form; the test script runs it under mpirun.
do {
    let mpi = try MPIEnvironment()
    var values: [Float] = [Float(mpi.rank + 1), 1]
    try mpi.allreduceSum(&values)
    let expected = Float(mpi.size * (mpi.size + 1) / 2)
    let ok = values[0] == expected && values[1] == Float(mpi.size)
    print("rank \(mpi.rank)/\(mpi.size): allreduce \(values) expected [\(expected), \(mpi.size)] \(ok ? "ok" : "MISMATCH")")
    try mpi.barrier()
    try mpi.finalize()
    exit(ok ? 0 : 1)
} catch {
    FileHandle.standardError.write("qcs-mpi-check: \(error)\n".data(using: .utf8)!)
    exit(2)
}
