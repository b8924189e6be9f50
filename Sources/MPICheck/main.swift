import Distributed
import Foundation

// A multi-process check of the MPI layer: every collective of `MPICommunicator` against its
// closed form (CommunicatorSelfTest). Exit 0 when every rank passes; the test script runs it
// under mpirun with several world sizes.
do {
    let mpi = try MPIEnvironment()
    let failures = try CommunicatorSelfTest.run(mpi.world)
    var failed: [Int32] = [Int32(failures.count)]
    try mpi.world.allreduce(&failed, .sum)
    for line in failures { FileHandle.standardError.write(Data("qcs-mpi-check: \(line)\n".utf8)) }
    if mpi.rank == 0 {
        print("qcs-mpi-check: \(mpi.size) ranks, \(mpi.world.localSize) on rank 0's node, thread level \(mpi.threadSupport): "
              + (failed[0] == 0 ? "every collective ok" : "\(failed[0]) failures"))
    }
    try mpi.finalize()
    exit(failed[0] == 0 ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("qcs-mpi-check: \(error)\n".utf8))
    exit(2)
}
