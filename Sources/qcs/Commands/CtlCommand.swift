import ArgumentParser
import Foundation
import Launch

extension QCSCommand {
    struct Ctl: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ctl",
            abstract: "Command the qcs launch supervisor of a run: status, checkpoint, stop, pause, resume, drain, add, hosts.",
            discussion: """
            Talks to RUN/launch/control.sock, which only the run's owner may use. Every command answers with \
            what it did:
              status                  the phase, the job and its hosts, the run's step, restarts, the last failure
              checkpoint              a checkpoint now; the run goes on
              stop                    a checkpoint, then the run and the supervisor end (qcs launch exits 2)
              pause                   a checkpoint, then the run waits with the supervisor alive
              resume                  the next job starts from the last checkpoint
              drain HOST              the job checkpoints and stops, the next runs without HOST (until added)
              add HOST[:SLOTS]        a new host, or a drained one back; the running job grows onto it
              hosts                   every host: in the job, usable, left out, blacklisted or drained

            Exit codes: 0 done; 1 refused (the answer says why) or no supervisor answers; 64 bad usage.

            Example: qcs ctl runs/raf drain n3
            """)

        @Argument(help: ArgumentHelp("The run directory qcs launch supervises.", valueName: "run-dir"))
        var runDirectory: String

        @Argument(help: ArgumentHelp("The command, and its host for drain and add.", valueName: "command"))
        var words: [String]

        func validate() throws {
            if case .failure(let error) = ControlCommand.parse(words.joined(separator: " ")) {
                throw ValidationError(error.description)
            }
        }

        func run() throws {
            let answer: String
            do {
                answer = try ControlSocket.request(words.joined(separator: " "), path: runDirectory + "/launch/control.sock")
            } catch let error as LaunchError {
                StandardError.print("Error: \(error)")
                throw ExitCode.failure
            }
            let refused = answer.hasPrefix("error: ")
            let text = answer.hasPrefix("ok: ") ? String(answer.dropFirst(4)) : answer
            if refused { StandardError.print(text) } else { print(text) }
            if refused { throw ExitCode.failure }
        }
    }
}
