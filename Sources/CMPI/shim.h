#ifndef QCS_CMPI_SHIM_H
#define QCS_CMPI_SHIM_H
#include <mpi.h>

/* Open MPI defines these handles as macros taking the address of a global; Swift cannot import
   such macros, so each is re-exported as an inline function. */
static inline MPI_Comm qcs_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm qcs_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype qcs_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype qcs_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype qcs_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype qcs_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype qcs_mpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype qcs_mpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Op qcs_mpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op qcs_mpi_op_max(void) { return MPI_MAX; }
static inline MPI_Op qcs_mpi_op_min(void) { return MPI_MIN; }
static inline void *qcs_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler qcs_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Request qcs_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *qcs_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Info qcs_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline int qcs_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline int qcs_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
